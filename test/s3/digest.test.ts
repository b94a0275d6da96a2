/**
 * Where the s3 backend keeps a multipart object's SHA-256 (drivers/s3/digest.ts):
 * a tag bound to the object's ETag, on a real MinIO. The conformance suite
 * checks that every Save records one and reads check it; here, what is
 * particular to the tag: it is ignored on another object, a wrong one on
 * its own object fails the read, and a store that refuses tags still stores.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Config } from "../../drivers/s3/config.ts";
import { SHA256_TAG } from "../../drivers/s3/digest.ts";
import { createS3Driver } from "../../drivers/s3/index.ts";
import type { Driver } from "../../src/driver.ts";
import { DataLossError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, readUntilFailure, sha256, streamOf, uniquePrefix } from "../helpers/data.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { type S3Fixture, startS3Fixture } from "./fixture.ts";

let s3: S3Fixture;
let proxy: FaultProxy;
const drivers: Driver[] = [];
const logs: string[] = [];

beforeAll(async () => {
  s3 = await startS3Fixture();
  proxy = await startFaultProxy(s3.minio.url);
});
afterAll(async () => {
  await Promise.all(drivers.map((d) => d.dispose()));
  await proxy?.close();
  await s3?.teardown();
});

/** 5 MiB parts, S3's smallest, so that a few MiB make a multipart upload. */
function driverFor(extra: Partial<S3Config> = {}): Driver {
  const log = createLogger({ write: (line) => logs.push(line) });
  const driver = createS3Driver(s3.config({ partSize: 5 * MiB, ...extra }), { secrets: s3.secrets, log });
  drivers.push(driver);
  return driver;
}

const tagOf = async (Key: string) =>
  (await s3.admin.send(new GetObjectTaggingCommand({ Bucket: s3.bucket, Key }))).TagSet?.find(
    (t) => t.Key === SHA256_TAG,
  )?.Value;

/** Writes `data` as a two-part object with the store's own client, as another tool (or Argo) would. */
async function multipartBehind(Key: string, data: Buffer): Promise<void> {
  const Bucket = s3.bucket;
  const { UploadId } = await s3.admin.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const halves = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB)];
  const Parts = [];
  for (const [i, Body] of halves.entries()) {
    const part = await s3.admin.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }));
    Parts.push({ PartNumber: i + 1, ETag: part.ETag });
  }
  await s3.admin.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
}

describe("a multipart object's SHA-256 tag", () => {
  it("names the digest and the ETag it was made for", async () => {
    const key = `${uniquePrefix()}/two-parts.bin`;
    const data = bytes(7 * MiB);
    await driverFor().put(key, streamOf(data));
    const [digest, etag] = (await tagOf(key))?.split("@") ?? [];
    expect(digest).toBe(sha256(data));
    expect(etag).toMatch(/^[0-9a-f]{32}-2$/);
  });

  it("is ignored on an object it was not made for: that one reads, unverified", async () => {
    const key = `${uniquePrefix()}/replaced.bin`;
    const driver = driverFor();
    await driver.put(key, streamOf(bytes(7 * MiB)));
    const stale = (await tagOf(key)) as string;
    const other = bytes(6 * MiB);
    await multipartBehind(key, other); // a new object: its ETag differs, and the old tag is put back on it
    await s3.admin.send(
      new PutObjectTaggingCommand({
        Bucket: s3.bucket,
        Key: key,
        Tagging: { TagSet: [{ Key: SHA256_TAG, Value: stale }] },
      }),
    );
    expect((await driver.stat(key)).sha256).toBeUndefined();
    expect(sha256(await collect(await driver.get(key)))).toBe(sha256(other));
  });

  it("fails the read with DATA_LOSS, before its end, when it does not match its own object", async () => {
    const key = `${uniquePrefix()}/rewritten.bin`;
    const driver = driverFor();
    const data = bytes(7 * MiB);
    await driver.put(key, streamOf(data));
    const claimed = (await tagOf(key))?.split("@")[0] as string;
    const other = bytes(7 * MiB);
    await multipartBehind(key, other);
    const { ETag } = await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    const Value = `${claimed}@${ETag?.replaceAll('"', "")}`; // the old digest, bound to the new object
    await s3.admin.send(
      new PutObjectTaggingCommand({ Bucket: s3.bucket, Key: key, Tagging: { TagSet: [{ Key: SHA256_TAG, Value }] } }),
    );
    const { delivered, error } = await readUntilFailure(await driver.get(key));
    expect(error).toBeInstanceOf(DataLossError);
    expect(delivered).toBeLessThan(other.length);
  });

  it("stores the object when the store refuses the tag, logs it, and the object reads unverified", async () => {
    const key = `${uniquePrefix()}/untagged.bin`;
    const driver = driverFor({ endpoint: proxy.endpoint });
    proxy.inject(
      { kind: "error", status: 403, code: "AccessDenied" },
      (method, url) => method === "PUT" && url.includes("tagging"),
    );
    const data = bytes(6 * MiB);
    const before = logs.length;
    await driver.put(key, streamOf(data));
    expect(logs.slice(before).join("\n")).toContain("could not tag the object with its SHA-256");
    expect((await driver.stat(key)).sha256).toBeUndefined();
    expect(sha256(await collect(await driver.get(key)))).toBe(sha256(data));
  });
});
