/**
 * Loads the service definitions from proto/. The loader options live here
 * once: the runtime uses them, and `npm run gen:proto` passes the same ones to
 * proto-loader-gen-types, which writes the message types in src/generated/.
 */
import * as grpc from "@grpc/grpc-js";
import { loadSync, type Options } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import type { ProtoGrpcType as ArtifactProto } from "./generated/artifact.ts";
import type { ProtoGrpcType as AdminProto } from "./generated/multistore.ts";

/** snake_case fields as in the .proto, defaults filled in (proto3 has no presence). */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const protoDir = fileURLToPath(new URL("../proto/", import.meta.url));

function load<T>(file: string): T {
  const definition = loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs: [protoDir] });
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

/** Argo's `artifact.ArtifactService`. */
export const artifactProto = load<ArtifactProto>("artifact.proto");
/** Our own `multistore.v1.Admin` service, served on the same socket for the CLI (Argo never calls it). */
export const adminProto = load<AdminProto>("multistore.proto");

/** The largest OpenStream frame we send: Argo's Go client refuses messages over 4 MiB. */
export const FRAME_BYTES = 1024 * 1024;

/** The largest message Argo's Go client accepts: grpc-go's default receive limit. */
export const ARGO_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Bytes `value` takes on the wire as a string field (or one entry of a repeated one): tag, length, UTF-8 bytes. */
export function repeatedStringBytes(value: string): number {
  const length = Buffer.byteLength(value);
  let lengthBytes = 1;
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) lengthBytes++;
  return 1 + lengthBytes + length;
}
