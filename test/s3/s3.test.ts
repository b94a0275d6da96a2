/**
 * What the s3 backend promises beyond the conformance suite, against a real
 * MinIO: Argo's object layout, keyPrefix, pagination, multipart uploads that
 * are byte-exact in both checksum modes and leave nothing behind when they
 * fail, bucket creation, and credentials. Retries, resumed downloads and
 * bounded memory are conformance groups (test/conformance/capabilities.ts).
 */

import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Config } from "../../drivers/s3/config.ts";
import { createS3Driver } from "../../drivers/s3/index.ts";
import type { Driver } from "../../src/driver.ts";
import { InvalidConfigError, NotFoundError, PermissionDeniedError } from "../../src/errors.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, failingStream, sha256, streamOf, uniquePrefix, writeTree } from "../helpers/data.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { type S3Fixture, startS3Fixture } from "./fixture.ts";

let s3: S3Fixture;
let server: TestServer;
let scratch: string;
const drivers: Driver[] = [];

beforeAll(async () => {
  s3 = await startS3Fixture();
  server = await startTestServer({ secrets: s3.secrets });
  scratch = await mkdtemp(path.join(os.tmpdir(), "s3-test-"));
});
afterAll(async () => {
  await Promise.all(drivers.map((d) => d.dispose()));
  await server?.stop();
  await s3?.teardown();
  await rm(scratch, { recursive: true, force: true });
});

function driverFor(extra: Partial<S3Config> = {}): Driver {
  const driver = createS3Driver(s3.config(extra), { secrets: s3.secrets });
  drivers.push(driver);
  return driver;
}

async function keysUnder(prefix: string, bucket = s3.bucket): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.admin.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function openUploads(key: string): Promise<number> {
  const uploads = await s3.admin.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: key }));
  return uploads.Uploads?.length ?? 0;
}

/** `size` bytes of `data` cut into irregular chunks, as a network would deliver them. */
function irregular(data: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0, step = 1; offset < data.length; offset += step, step = (step * 7919) % 300_007)
        yield data.subarray(offset, offset + step);
    })(),
  );
}

describe("layout", () => {
  it("stores keys under keyPrefix and lists them without it", async () => {
    const prefix = uniquePrefix("tenant");
    const driver = driverFor({ keyPrefix: `${prefix}/team/` });
    await driver.put("run/out.txt", streamOf(Buffer.from("x")));
    expect(await keysUnder(`${prefix}/`)).toEqual([`${prefix}/team/run/out.txt`]);
    const listed = [];
    for await (const o of driver.list("run/")) listed.push(o.key);
    expect(listed).toEqual(["run/out.txt"]);
    expect(await driver.deletePrefix("run/")).toBe(1);
    expect(await keysUnder(`${prefix}/`)).toEqual([]);
  });

  it("saves a directory as Argo's S3 driver does, and loads one Argo wrote, skipping folder markers", async () => {
    const client = server.client(s3.yaml());
    const source = path.join(scratch, uniquePrefix("tree"));
    await writeTree(source, { "a.txt": Buffer.from("a"), "sub/b.txt": Buffer.from("b") });
    const key = uniquePrefix("ours");
    await client.save(source, key);
    expect(await keysUnder(`${key}`)).toEqual([`${key}/a.txt`, `${key}/sub/b.txt`]);

    // As Argo's executor leaves a directory artifact: one PutObject per file, plus a console's folder marker.
    const theirs = uniquePrefix("argo");
    for (const [rel, body] of [
      ["x.txt", "x"],
      ["deep/y.txt", "y"],
      ["deep/", ""],
    ] as const) {
      await s3.admin.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${theirs}/${rel}`, Body: body }));
    }
    expect(await client.listObjects(theirs)).toEqual([`${theirs}/deep/y.txt`, `${theirs}/x.txt`]);
    const dest = path.join(scratch, uniquePrefix("loaded"));
    await client.load(theirs, dest);
    expect(await readFile(path.join(dest, "deep/y.txt"), "utf8")).toBe("y");
    expect(await readFile(path.join(dest, "x.txt"), "utf8")).toBe("x");
  });

  it("lists and deletes past the 1,000 keys of one page", async () => {
    const root = uniquePrefix("many");
    const count = 1_205;
    const keys = Array.from({ length: count }, (_, i) => `${root}/k${String(i).padStart(5, "0")}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys.slice(i, i + 50).map((Key) => s3.admin.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: "" }))),
      );
    }
    const driver = driverFor();
    const listed = [];
    for await (const o of driver.list(`${root}/`)) listed.push(o.key);
    expect(listed.sort()).toEqual(keys);
    expect(await driver.deletePrefix(`${root}/`)).toBe(count);
    expect(await keysUnder(`${root}/`)).toEqual([]);
  });
});

// The digest group of the conformance suite covers Saves in one part; what is particular to S3's parts:
describe("content digest", () => {
  const recorded = async (key: string) =>
    (await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).Metadata?.["multistore-sha256"];

  it("records the SHA-256 of a body of exactly one part, which goes through a part buffer", async () => {
    const key = `${uniquePrefix()}/one-whole-part.bin`;
    const part = bytes(5 * MiB);
    await driverFor({ partSize: 5 * MiB }).put(key, streamOf(part));
    expect(await recorded(key)).toBe(sha256(part));
  });

  it("records none for a multipart upload (yet), which reads unchecked", async () => {
    const key = `${uniquePrefix()}/multipart.bin`;
    const parts = bytes(17 * MiB);
    await driverFor({ partSize: 5 * MiB }).put(key, streamOf(parts));
    expect(await recorded(key)).toBeUndefined();
    expect(sha256(await collect(await driverFor().get(key)))).toBe(sha256(parts));
  });
});

describe("multipart uploads", () => {
  it.each(["WHEN_REQUIRED", "WHEN_SUPPORTED"] as const)(
    "round-trips a streamed multipart upload byte for byte with checksums %s",
    async (mode) => {
      const driver = driverFor({ partSize: 5 * MiB, requestChecksumCalculation: mode });
      const data = bytes(17 * MiB + 3);
      const key = `${uniquePrefix()}/streamed.bin`;
      await driver.put(key, irregular(data)); // no size hint: the driver cannot know the length
      // Read back with a plain client: aws-chunked framing stored in the object would change its bytes and size.
      const raw = await s3.admin.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, ChecksumMode: "ENABLED" }));
      expect(raw.ContentLength).toBe(data.length);
      expect(sha256(Buffer.from(await raw.Body!.transformToByteArray()))).toBe(sha256(data));
      const head = await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key, ChecksumMode: "ENABLED" }));
      expect(head.ChecksumCRC32 !== undefined).toBe(mode === "WHEN_SUPPORTED");
      expect(sha256(await collect(await driver.get(key)))).toBe(sha256(data));
    },
  );

  it("aborts the multipart upload when the source dies: no object, no open upload", async () => {
    const driver = driverFor({ partSize: 5 * MiB });
    const key = `${uniquePrefix()}/dies.bin`;
    await expect(driver.put(key, failingStream(bytes(12 * MiB)))).rejects.toThrow(/source died/);
    await expect(driver.stat(key)).rejects.toBeInstanceOf(NotFoundError);
    expect(await openUploads(key)).toBe(0);
  });

  it("aborts the multipart upload when cancelled: no object, no open upload", async () => {
    const driver = driverFor({ partSize: 5 * MiB });
    const key = `${uniquePrefix()}/cancelled.bin`;
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<Buffer> {
      for (let sent = 0; ; sent += MiB) {
        if (sent === 12 * MiB) controller.abort();
        yield bytes(MiB);
      }
    }
    await expect(driver.put(key, Readable.from(endless()), { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    await expect(driver.stat(key)).rejects.toBeInstanceOf(NotFoundError);
    expect(await openUploads(key)).toBe(0);
  });

  it("sizes parts so a known size fits in 10,000 parts", async () => {
    const { partSizeFor } = await import("../../drivers/s3/upload.ts");
    expect(partSizeFor(16 * MiB, 100 * MiB)).toBe(16 * MiB);
    expect(partSizeFor(16 * MiB, 1024 * 1024 * MiB)).toBe(105 * MiB); // 1 TiB: ceil(1 TiB / 10,000) in whole MiB
  });
});

describe("createBucketIfNotPresent", () => {
  it("creates the bucket once, with writers racing to do it", async () => {
    const bucket = `fresh-${uniquePrefix().toLowerCase()}`;
    const writers = [1, 2, 3].map(() => driverFor({ bucket, createBucketIfNotPresent: {} }));
    await Promise.all(writers.map((w, i) => w.put(`k${i}`, streamOf(Buffer.from(`v${i}`)))));
    expect(await keysUnder("", bucket)).toEqual(["k0", "k1", "k2"]);
  });

  it("creates it with object locking when asked", async () => {
    const bucket = `locked-${uniquePrefix().toLowerCase()}`;
    await driverFor({ bucket, createBucketIfNotPresent: { objectLocking: true } }).put("k", streamOf(Buffer.from("v")));
    const lock = await s3.admin.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    expect(lock.ObjectLockConfiguration?.ObjectLockEnabled).toBe("Enabled");
  });

  it("without it, a missing bucket is a configuration error that says what to do", async () => {
    const driver = driverFor({ bucket: "no-such-bucket" });
    const failure = driver.put("k", streamOf(Buffer.from("v")));
    await expect(failure).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(failure).rejects.toThrow(
      /s3\.bucket: bucket 'no-such-bucket' .* does not exist; create it, or set createBucketIfNotPresent/,
    );
  });
});

describe("failures", () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(s3.minio.url);
  });
  afterAll(() => proxy?.close());
  const viaProxy = (extra: Partial<S3Config> = {}) => driverFor({ endpoint: proxy.endpoint, ...extra });

  it("sends DeleteObjects with Content-MD5, which stores without flexible checksums require", async () => {
    const root = uniquePrefix("md5");
    for (const k of ["a", "b"]) await driverFor().put(`${root}/${k}`, streamOf(Buffer.from(k)));
    const before = proxy.requests.length;
    expect(await viaProxy().deletePrefix(`${root}/`)).toBe(2);
    const index = proxy.requests.findIndex((r, i) => i >= before && r.startsWith("POST") && r.includes("delete"));
    expect(proxy.headers[index]?.["content-md5"]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(Object.keys(proxy.headers[index] ?? {}).filter((h) => h.startsWith("x-amz-checksum-"))).toEqual([]);
  });

  it("fails at once on wrong credentials, naming what to fix and never the secret", async () => {
    await s3.writeSecret("wrong", "secretKey", "not-the-right-secret-key");
    const driver = viaProxy({ secretKeySecret: { name: "wrong", key: "secretKey" } });
    const before = proxy.requests.length;
    const failure = driver.put(`${uniquePrefix()}/denied`, streamOf(Buffer.from("x")));
    await expect(failure).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(failure).rejects.toThrow(
      /refused the credentials \(SignatureDoesNotMatch\); check accessKeySecret and secretKeySecret/,
    );
    await expect(failure).rejects.not.toThrow(/not-the-right-secret-key/);
    expect(proxy.requests.length - before).toBe(1);
  });

  it("names a missing Secret and key in the error, through the gRPC server", async () => {
    const client = server.client(s3.yaml({ accessKeySecret: { name: "absent", key: "accessKey" } }));
    await expect(client.load("whatever", path.join(scratch, "never"))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(/s3\.accessKeySecret: Secret 'absent' key 'accessKey' not found/),
    });
  });

  it("uses the SDK's default credential chain without key Secrets (here: the AWS_* environment)", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = s3.minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = s3.minio.secretKey;
    try {
      const driver = driverFor({ accessKeySecret: undefined, secretKeySecret: undefined, useSDKCreds: true });
      const key = `${uniquePrefix()}/sdk-creds`;
      await driver.put(key, streamOf(Buffer.from("chain")));
      expect((await collect(await driver.get(key))).toString()).toBe("chain");
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it("accepts an endpoint written as a URL", async () => {
    const driver = driverFor({ endpoint: s3.minio.url, insecure: undefined });
    const key = `${uniquePrefix()}/url-endpoint`;
    await driver.put(key, streamOf(Buffer.from("ok")));
    expect((await collect(await driver.get(key))).toString()).toBe("ok");
  });
});
