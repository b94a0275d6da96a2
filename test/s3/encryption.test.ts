/**
 * Server-side encryption against MinIO over TLS (MinIO refuses SSE-C over
 * plain HTTP), with MinIO's static KMS key for SSE-KMS and SSE-S3. Beside
 * what the API reports, each case looks at MinIO's data folder: the
 * plaintext must not be on disk (and is, for an unencrypted control object).
 */

import { argon2Sync } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { S3Config } from "../../drivers/s3/config.ts";
import { createS3Driver } from "../../drivers/s3/index.ts";
import type { Driver } from "../../src/driver.ts";
import { PermissionDeniedError, UnavailableError } from "../../src/errors.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, sha256, streamOf, uniquePrefix } from "../helpers/data.ts";
import { makeCertificates } from "../helpers/tls.ts";
import { MINIO_KMS_KEY } from "../peers/minio.ts";
import { type S3Fixture, startS3Fixture } from "./fixture.ts";

let s3: S3Fixture;
let caDir: string;
const drivers: Driver[] = [];

beforeAll(async () => {
  const tls = await makeCertificates();
  caDir = await mkdtemp(path.join(os.tmpdir(), "ca-"));
  await writeFile(path.join(caDir, "ca.crt"), tls.ca);
  s3 = await startS3Fixture({ tls, caFile: path.join(caDir, "ca.crt") });
  await s3.writeSecret("sse", "key", "a customer passphrase, not 32 bytes");
  await s3.writeSecret("other-sse", "key", "some other passphrase entirely");
});
afterAll(async () => {
  await Promise.all(drivers.map((d) => d.dispose()));
  await s3?.teardown();
  await rm(caDir, { recursive: true, force: true });
});

function driverFor(extra: Partial<S3Config>): Driver {
  const driver = createS3Driver(s3.config(extra), { secrets: s3.secrets });
  drivers.push(driver);
  return driver;
}

/** A recognisable plaintext: 64 KiB of a repeated marker, so it would be found on disk if stored in the clear. */
function marked(label: string): Buffer {
  return Buffer.from(`${label}-PLAINTEXT-MARKER;`.repeat(Math.ceil(65_536 / (label.length + 18))));
}

async function onDisk(needle: string, dir = s3.minio.dataDir): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && (await readFile(path.join(entry.parentPath, entry.name))).includes(needle)) return true;
  }
  return false;
}

const sseC = (name = "sse") => ({
  encryptionOptions: { enableEncryption: true, serverSideCustomerKeySecret: { name, key: "key" } },
});

describe("SSE-C", () => {
  it("round-trips single and multipart objects, and the plaintext is not on disk", async () => {
    const driver = driverFor({ ...sseC(), partSize: 5 * MiB });
    const small = marked("ssec-small");
    const large = bytes(11 * MiB);
    const key = uniquePrefix("ssec");
    await driver.put(`${key}/small`, streamOf(small));
    await driver.put(`${key}/large`, streamOf(large));
    expect(sha256(await collect(await driver.get(`${key}/small`)))).toBe(sha256(small));
    expect(sha256(await collect(await driver.get(`${key}/large`)))).toBe(sha256(large));
    expect((await driver.stat(`${key}/large`)).size).toBe(large.length);
    expect(await onDisk("ssec-small-PLAINTEXT-MARKER")).toBe(false);
  });

  it("cannot be read without the key, nor with another", async () => {
    const key = `${uniquePrefix("ssec")}/locked`;
    await driverFor(sseC()).put(key, streamOf(Buffer.from("secret content")));
    await expect(s3.admin.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 400 },
    });
    await expect(driverFor(sseC("other-sse")).get(key)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(driverFor({}).get(key)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("derives keys with Argon2id exactly as Go's argon2.IDKey does", () => {
    // The vector was computed with golang.org/x/crypto/argon2 v0.37.0: IDKey("password", "somesalt", 1, 64*1024, 4, 32).
    const key = argon2Sync("argon2id", {
      message: Buffer.from("password"),
      nonce: Buffer.from("somesalt"),
      passes: 1,
      memory: 64 * 1024,
      parallelism: 4,
      tagLength: 32,
    });
    expect(key.toString("hex")).toBe("716733ba17477e10c0eac8788a61e795df9c5086d785b7de8e295b910fe9fd4a");
  });

  it("derives the per-object key as Argo's S3 driver does, so either can read the other's objects", async () => {
    const key = `${uniquePrefix("ssec")}/interop`;
    await driverFor(sseC()).put(key, streamOf(Buffer.from("written by the plugin")));
    // minio-go's encrypt.DefaultPBKDF(password, bucket+key): argon2.IDKey(password, salt, 1, 64*1024, 4, 32).
    const argoKey = argon2Sync("argon2id", {
      message: Buffer.from("a customer passphrase, not 32 bytes"),
      nonce: Buffer.from(s3.bucket + key),
      passes: 1,
      memory: 64 * 1024,
      parallelism: 4,
      tagLength: 32,
    });
    const read = await s3.admin.send(
      new GetObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        SSECustomerAlgorithm: "AES256",
        SSECustomerKey: argoKey.toString("base64"),
      }),
    );
    expect(await read.Body?.transformToString()).toBe("written by the plugin");
  });
});

describe("SSE-KMS and SSE-S3", () => {
  it("stores with the KMS key and context, encrypted on disk", async () => {
    const driver = driverFor({
      encryptionOptions: { enableEncryption: true, kmsKeyId: MINIO_KMS_KEY, kmsEncryptionContext: '{"team": "ml"}' },
    });
    const key = `${uniquePrefix("kms")}/object`;
    await driver.put(key, streamOf(marked("kms-object")));
    const head = await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(head.ServerSideEncryption).toBe("aws:kms");
    expect(head.SSEKMSKeyId).toContain(MINIO_KMS_KEY);
    expect((await collect(await driver.get(key))).equals(marked("kms-object"))).toBe(true);
    expect(await onDisk("kms-object-PLAINTEXT-MARKER")).toBe(false);
  });

  it("uses SSE-S3 when encryption is enabled without a key", async () => {
    const key = `${uniquePrefix("sse-s3")}/object`;
    await driverFor({ encryptionOptions: { enableEncryption: true } }).put(key, streamOf(marked("sse-s3-object")));
    expect((await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }))).ServerSideEncryption).toBe(
      "AES256",
    );
    expect(await onDisk("sse-s3-object-PLAINTEXT-MARKER")).toBe(false);
  });

  it("stores in the clear without enableEncryption (the control for the disk checks)", async () => {
    await driverFor({}).put(`${uniquePrefix("clear")}/object`, streamOf(marked("clear-object")));
    expect(await onDisk("clear-object-PLAINTEXT-MARKER")).toBe(true);
  });
});

describe("TLS trust", () => {
  it("refuses a server whose CA it was not given, saying how to trust it", async () => {
    const failure = driverFor({ caFile: undefined, maxRetries: 0 }).stat("anything");
    await expect(failure).rejects.toBeInstanceOf(UnavailableError);
    await expect(failure).rejects.toThrow(
      /TLS certificate is not trusted .*give its CA with s3\.caFile or s3\.caSecret/,
    );
  });

  it("trusts a CA given as a Secret", async () => {
    await s3.writeSecret("minio-ca", "ca.crt", await readFile(path.join(caDir, "ca.crt"), "utf8"));
    const driver = driverFor({ caFile: undefined, caSecret: { name: "minio-ca", key: "ca.crt" } });
    const key = `${uniquePrefix("ca")}/object`;
    await driver.put(key, streamOf(Buffer.from("trusted")));
    expect((await collect(await driver.get(key))).toString()).toBe("trusted");
  });
});
