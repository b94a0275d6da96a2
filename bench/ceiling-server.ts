/**
 * The gRPC ceiling for the benchmark: the same service and messages as the
 * plugin, over the same kind of unix socket, but OpenStream sends one
 * preallocated FRAME_BYTES buffer again and again (no storage, no copies),
 * honouring backpressure as the plugin does. Usage: ceiling-server.ts <socket> <bytes>
 */

import { once } from "node:events";
import { rm } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import { FRAME_BYTES } from "../src/frames.ts";
import { artifactProto } from "../src/proto.ts";

const [socketPath = "", total = "0"] = process.argv.slice(2);
const frame = Buffer.alloc(FRAME_BYTES, 7);
const server = new grpc.Server({ "grpc.max_receive_message_length": 8 * 1024 * 1024 });
server.addService(artifactProto.artifact.ArtifactService.service, {
  OpenStream: async (call: grpc.ServerWritableStream<unknown, unknown>) => {
    for (let sent = 0; sent < Number(total); sent += FRAME_BYTES) {
      if (call.cancelled) return;
      const data = Number(total) - sent < FRAME_BYTES ? frame.subarray(0, Number(total) - sent) : frame;
      if (!call.write({ data })) await once(call, "drain");
    }
    call.write({ is_end: true });
    call.end();
  },
});
await rm(socketPath, { force: true });
server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) throw error;
  process.stderr.write('{"msg":"ready"}\n');
});
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
