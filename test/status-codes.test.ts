/**
 * Every status code, on the wire, from every RPC: a backend that fails each
 * call with one error class, behind our real server on a unix socket, and
 * raw gRPC calls that read what Argo's client reads. Unary replies carry the
 * failure in-band (`success: false` or `error`, and the status name in the
 * trailing metadata); streaming calls end with the non-OK status itself.
 * The mapping is made in one place (src/errors.ts, src/rpc.ts): this holds
 * it to what the contract says of each call.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Driver } from "../src/driver.ts";
import {
  DataLossError,
  ERROR_CODE_METADATA,
  InvalidConfigError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnavailableError,
  UnimplementedError,
} from "../src/errors.ts";
import { backend, DriverRegistry } from "../src/registry.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

/** Each error a driver may throw, and the status it must reach the client as. */
const ERRORS: [string, () => Error][] = [
  ["INVALID_ARGUMENT", () => new InvalidConfigError("s3.bucket: injected failure")],
  ["PERMISSION_DENIED", () => new PermissionDeniedError("injected failure")],
  ["RESOURCE_EXHAUSTED", () => new ResourceExhaustedError("injected failure")],
  ["UNAVAILABLE", () => new UnavailableError("injected failure")],
  ["DATA_LOSS", () => new DataLossError("injected failure")],
  ["UNIMPLEMENTED", () => new UnimplementedError("injected failure")],
  ["INTERNAL", () => new Error("injected failure")], // anything else: a bug of ours, said as such
];

/** A driver whose every call fails with `make()`. */
function failingDriver(make: () => Error): Driver {
  const fail = async (): Promise<never> => {
    throw make();
  };
  return {
    get: fail,
    put: async (_key, body) => {
      body.destroy();
      return fail();
    },
    stat: fail,
    // biome-ignore lint/correctness/useYield: a listing that fails before its first object
    async *list() {
      await fail();
    },
    delete: fail,
    deletePrefix: fail,
    dispose: async () => {},
  };
}

let server: TestServer;
let source: string;

beforeAll(async () => {
  const failing = backend(z.strictObject({ code: z.string() }), (config) => {
    const found = ERRORS.find(([code]) => code === config.code);
    return failingDriver(found ? found[1] : () => new NotFoundError("the key 'k' is not there"));
  });
  server = await startTestServer({ registry: new DriverRegistry({ backends: { failing } }) });
  source = path.join(server.root, "source.bin");
  await writeFile(source, "payload");
});
afterAll(() => server?.stop());

interface Outcome {
  /** The status the call ended with. */
  status: string;
  /** The in-band error text, and the status name in the trailing metadata, of a unary reply. */
  inBand?: string;
  trailer?: string;
  reply?: Record<string, unknown>;
}

/** A raw unary call, read as Argo's client reads it. */
function unary(code: string, method: string, request: object): Promise<Outcome> {
  const client = server.client(`failing: {code: ${code}}`);
  return new Promise((resolve) => {
    let reply: Record<string, unknown> | undefined;
    let failed: grpc.ServiceError | undefined;
    const call = (client.artifacts as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[
      method
    ]?.call(client.artifacts, request, (error: grpc.ServiceError | null, value: Record<string, unknown>) => {
      if (error) failed = error;
      else reply = value;
    });
    call?.on("status", (status: grpc.StatusObject) => {
      const trailer = status.metadata.get(ERROR_CODE_METADATA)[0]?.toString();
      resolve({
        status: grpc.status[failed?.code ?? status.code] as string,
        ...(reply ? { reply, inBand: String(reply["error"] ?? "") } : {}),
        ...(trailer ? { trailer } : {}),
      });
    });
  });
}

/** OpenStream to its end: the status it closes with. */
function openStream(code: string): Promise<Outcome> {
  const client = server.client(`failing: {code: ${code}}`);
  return new Promise((resolve) => {
    const call = client.artifacts.OpenStream({ artifact: client.artifact("k") });
    call.on("data", () => {});
    call.on("error", () => {});
    call.on("status", (status: grpc.StatusObject) => resolve({ status: grpc.status[status.code] as string }));
  });
}

/** SaveStream of a few bytes: the status it closes with. */
function saveStream(code: string): Promise<Outcome> {
  const client = server.client(`failing: {code: ${code}}`);
  return new Promise((resolve) => {
    const call = client.artifacts.SaveStream((error) =>
      resolve({ status: grpc.status[error?.code ?? grpc.status.OK] as string }),
    );
    call.write({ output_artifact: client.artifact("k") });
    call.write({ chunk: Buffer.from("payload") });
    call.end();
  });
}

describe.each(ERRORS.map(([code]) => code))("a driver failing with %s", (code) => {
  const artifact = () => server.client(`failing: {code: ${code}}`).artifact("k");

  it.each([
    ["Load", () => ({ input_artifact: artifact(), path: path.join(server.root, "loaded") })],
    ["Save", () => ({ output_artifact: artifact(), path: source })],
    ["Delete", () => ({ artifact: artifact() })],
  ])(
    "%s replies OK with success false, the message in-band and the status name in the trailer",
    async (method, request) => {
      const outcome = await unary(code, method, request());
      expect(outcome).toMatchObject({ status: "OK", trailer: code, reply: { success: false } });
      expect(outcome.inBand).toContain("injected failure");
    },
  );

  it.each([["ListObjects"], ["IsDirectory"]])(
    "%s replies OK with the message in its error field and the status name in the trailer",
    async (method) => {
      const outcome = await unary(code, method, { artifact: artifact() });
      expect(outcome).toMatchObject({ status: "OK", trailer: code });
      expect(outcome.inBand).toContain("injected failure");
    },
  );

  it("OpenStream and SaveStream end with the status itself", async () => {
    expect(await openStream(code)).toEqual({ status: code });
    expect(await saveStream(code)).toEqual({ status: code });
  });
});

describe("a key that is not there", () => {
  // (Delete of a missing key succeeds because every driver's delete is idempotent: a conformance case.)
  it("is NOT_FOUND to Load and OpenStream, an empty listing, and not a directory", async () => {
    const artifact = server.client("failing: {code: NOT_FOUND}").artifact("k");
    const load = await unary("NOT_FOUND", "Load", { input_artifact: artifact, path: path.join(server.root, "x") });
    expect(load).toMatchObject({ status: "OK", trailer: "NOT_FOUND", reply: { success: false } });
    expect(await openStream("NOT_FOUND")).toEqual({ status: "NOT_FOUND" });
    expect(await unary("NOT_FOUND", "ListObjects", { artifact })).toMatchObject({
      status: "OK",
      reply: { objects: [] },
    });
    expect(await unary("NOT_FOUND", "IsDirectory", { artifact })).toMatchObject({
      status: "OK",
      reply: { is_directory: false },
    });
  });
});
