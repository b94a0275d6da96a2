/**
 * Bad input of every kind gets a clear error, with the right status, from
 * every RPC, and never echoes a secret from the configuration.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ArtifactClient, ArtifactClientError } from "../src/client.ts";
import { normaliseKey } from "../src/keys.ts";
import { collect, streamOf } from "./helpers/data.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

const SECRET = "AKIAsuperSECRETvalue42";

/** A configuration, the status every RPC must answer, and a pattern its message must match. */
const badConfigurations: [label: string, configuration: string, code: string, message: RegExp][] = [
  ["empty", "", "INVALID_ARGUMENT", /configuration is empty: expected one of local, s3, azure, gcs/],
  ["not YAML", "local: {drives: [/x]", "INVALID_ARGUMENT", /not valid YAML at line 1, column \d+/],
  ["a list", "- local", "INVALID_ARGUMENT", /must be a mapping/],
  [
    "unknown backend",
    "ftp: {host: x}",
    "INVALID_ARGUMENT",
    /unknown backend 'ftp': expected one of local, s3, azure, gcs/,
  ],
  ["two backends", "local: {drives: [/x]}\ns3: {}", "INVALID_ARGUMENT", /exactly one backend .*found 'local', 's3'/],
  ["missing field", "local: {}", "INVALID_ARGUMENT", /^local\.drives: required field is missing$/],
  [
    "unknown field",
    "local: {drives: [/x], drivs: [/y]}",
    "INVALID_ARGUMENT",
    /^local\.drivs: unknown field \(did you mean 'drives'\?\)$/,
  ],
  ["wrong item type", "local: {drives: [3]}", "INVALID_ARGUMENT", /^local\.drives\[0\]: expected a path$/],
  ["relative path", "local: {drives: [data]}", "INVALID_ARGUMENT", /^local\.drives\[0\]: expected an absolute path$/],
  ["wrong section type", "local: [/x]", "INVALID_ARGUMENT", /^local: expected object, got a list$/],
  ["s3 missing bucket", "s3: {endpoint: minio:9000}", "INVALID_ARGUMENT", /^s3\.bucket: required field is missing$/],
  [
    "s3 nested typo",
    "s3: {endpoint: e, bucket: b, accessKeySecret: {name: n, kee: k}}",
    "INVALID_ARGUMENT",
    /s3\.accessKeySecret\.kee: unknown field \(did you mean 'key'\?\)/,
  ],
  [
    "missing drive",
    "local: {drives: [/nonexistent/drive]}",
    "UNAVAILABLE",
    /local drive \/nonexistent\/drive does not exist/,
  ],
  [
    "azure without credentials",
    "azure: {endpoint: 'https://a.blob.core.windows.net', container: c}",
    "INVALID_ARGUMENT",
    /^azure\.accountKeySecret: required unless useSDKCreds is true$/,
  ],
  // Resolved before any request: nothing is sent anywhere.
  [
    "gcs key Secret missing",
    "gcs: {bucket: b, serviceAccountKeySecret: {name: absent, key: key.json}}",
    "INVALID_ARGUMENT",
    /^gcs\.serviceAccountKeySecret: Secret 'absent' key 'key\.json' not found/,
  ],
];

/** Calls every RPC that takes an artifact, and returns each one's error. */
async function everyRpcError(client: ArtifactClient, key: string): Promise<Record<string, ArtifactClientError>> {
  const dest = path.join(t.root, "never-written");
  const source = path.join(t.root, "source.txt");
  await writeFile(source, "content");
  const calls: Record<string, () => Promise<unknown>> = {
    Load: () => client.load(key, dest),
    Save: () => client.save(source, key),
    SaveStream: () => client.saveStream(key, streamOf(Buffer.from("data"))),
    OpenStream: () => collect(client.openStream(key)),
    Delete: () => client.delete(key),
    ListObjects: () => client.listObjects(key),
    IsDirectory: () => client.isDirectory(key),
    Stat: () => client.stat(key),
  };
  const errors: Record<string, ArtifactClientError> = {};
  for (const [rpc, call] of Object.entries(calls)) {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof ArtifactClientError))
      throw new Error(`${rpc} did not fail with an ArtifactClientError: ${String(error)}`);
    errors[rpc] = error;
  }
  return errors;
}

describe("bad configurations", () => {
  it.each(badConfigurations)("%s → every RPC answers it the same way", async (_label, configuration, code, message) => {
    const errors = await everyRpcError(t.client(configuration), "some/key");
    for (const [rpc, error] of Object.entries(errors)) {
      expect(error.message, rpc).toMatch(message);
      expect(error.code, rpc).toBe(code);
    }
  });

  it("OpenStream ends a failed call with the gRPC status", async () => {
    const client = t.client("local: {}");
    const call = client.artifacts.OpenStream({ artifact: client.artifact("k") });
    const frames: unknown[] = [];
    const status = await new Promise<{ code: number; details: string }>((resolve) => {
      call.on("data", (frame) => frames.push(frame));
      call.on("error", (error: { code: number; details: string }) => resolve(error));
    });
    expect(frames).toEqual([
      { data: Buffer.alloc(0), is_end: false, error: "local.drives: required field is missing" },
    ]);
    expect(status).toMatchObject({ code: 3, details: "local.drives: required field is missing" });
  });

  it.each([
    ["an unknown field holding a secret", `s3: {endpoint: e, bucket: b, accessKey: ${SECRET}}`],
    ["a secret in broken YAML", `s3: {endpoint: e, bucket: b, secretKey: "${SECRET}}`],
    ["a secret where a selector belongs", `s3: {endpoint: e, bucket: b, accessKeySecret: ${SECRET}}`],
    ["a secret where a number belongs", `s3: {endpoint: e, bucket: b, partSize: ${SECRET}}`],
  ])("never echoes %s", async (_label, configuration) => {
    const logs: string[] = [];
    const { createLogger } = await import("../src/log.ts");
    const logged = await startTestServer({ log: createLogger({ write: (line) => logs.push(line) }) });
    try {
      const errors = await everyRpcError(logged.client(configuration), "k");
      for (const error of Object.values(errors)) expect(error.message).not.toContain(SECRET);
      expect(logs.length).toBeGreaterThan(0);
      for (const line of logs) expect(line).not.toContain(SECRET);
    } finally {
      await logged.stop();
    }
  });
});

describe("bad requests", () => {
  it("refuses a Save of a path that does not exist", async () => {
    const missing = path.join(t.root, "nonexistent", "out.tgz");
    await expect(t.client().save(missing, "k")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining(missing),
    });
  });

  it("refuses relative and empty local paths", async () => {
    const client = t.client();
    await expect(client.save("relative/file", "k")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/absolute/),
    });
    await expect(client.load("k", "")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: "Load path is empty",
    });
  });

  it("refuses a request without an artifact", async () => {
    const client = t.client();
    const res = await client.unary<{ success: boolean; error: string }>("Delete", {});
    expect(res.response).toEqual({ success: false, error: "the request carries no artifact with a plugin location" });
    expect(res.trailers.get("artifact-error-code")).toEqual(["INVALID_ARGUMENT"]);
  });

  it("refuses a SaveStream whose first frame carries no artifact, with a non-OK status", async () => {
    const client = t.client();
    const error = await new Promise<{ code?: number; details?: string } | null>((resolve) => {
      const call = client.artifacts.SaveStream((e) => resolve(e));
      call.write({ chunk: Buffer.from("data first") });
      call.end();
    });
    expect(error).toMatchObject({ code: 3, details: "the first SaveStream frame must carry output_artifact" });
  });

  it("refuses keys the local store reserves", async () => {
    await expect(t.client().saveStream("a/@shard/b", streamOf(Buffer.from("x")))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("reserves"),
    });
  });
});

describe("key normalisation", () => {
  it.each([
    ["a//b/./c/", "a/b/c"],
    ["./wf/pod/out.tgz", "wf/pod/out.tgz"],
    ["données/日本", "données/日本"],
  ])("%j → %j", (raw, expected) => expect(normaliseKey(raw)).toBe(expected));

  it.each([
    ["", /is empty/],
    ["/etc/passwd", /is absolute/],
    ["a/../b", /'\.\.' segment/],
    ["a\0b", /NUL byte/],
    ["./", /names no object/],
    ["x".repeat(1025), /longer than 1024 bytes/],
  ])("refuses %j", (raw, message) => expect(() => normaliseKey(raw)).toThrow(message));
});
