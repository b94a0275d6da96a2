/**
 * The object-store backends in the benchmark: each runs against its real
 * local server, and each comes with the plain SDK doing the same transfer
 * in the bench process (the SDK's own high-level upload, a streamed
 * download), so the ratio shows what the plugin layer costs: the gRPC hop,
 * the second process, our upload and download code.
 */

import { createReadStream, createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { startAzureFixture } from "../test/azure/fixture.ts";
import { startGcsFixture } from "../test/gcs/fixture.ts";
import { startS3Fixture } from "../test/s3/fixture.ts";
import { drain } from "./measure.ts";

export interface StoreUnderTest {
  name: string;
  /** The artifact configuration that selects this store. */
  configuration: string;
  /** Its mounted-Secret folder: one folder per Secret, names distinct across stores. */
  secretsDir: string;
  /** For Argo's own S3 driver (MinIO only). */
  argoS3?: { endpoint: string; bucket: string; accessKey: string; secretKey: string };
  /** The plain SDK: upload a file, download to a file, download and discard. */
  upload(file: string, key: string): Promise<void>;
  download(key: string, file: string): Promise<void>;
  read(key: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startS3Store(): Promise<StoreUnderTest> {
  const s3 = await startS3Fixture();
  const client = new S3Client({
    endpoint: s3.minio.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: s3.minio.accessKey, secretAccessKey: s3.minio.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const get = async (key: string) =>
    (await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body as Readable;
  return {
    name: "s3 (MinIO)",
    configuration: s3.yaml(),
    secretsDir: s3.secretsDir,
    argoS3: {
      endpoint: s3.minio.endpoint,
      bucket: s3.bucket,
      accessKey: s3.minio.accessKey,
      secretKey: s3.minio.secretKey,
    },
    async upload(file, key) {
      // The SDK's own streaming upload, with the plugin's part size and concurrency.
      const upload = new Upload({
        client,
        params: { Bucket: s3.bucket, Key: key, Body: createReadStream(file) },
        partSize: 16 * 1024 * 1024,
        queueSize: 4,
      });
      await upload.done();
    },
    async download(key, file) {
      await pipeline(await get(key), createWriteStream(file));
    },
    async read(key) {
      return drain(await get(key));
    },
    async stop() {
      client.destroy();
      await s3.teardown();
    },
  };
}

export async function startAzureStore(): Promise<StoreUnderTest> {
  const azure = await startAzureFixture();
  return {
    name: "azure (Azurite)",
    configuration: azure.yaml(),
    secretsDir: azure.secretsDir,
    async upload(file, key) {
      // The SDK's streaming block upload with the plugin's block size and concurrency.
      await azure.admin.getBlockBlobClient(key).uploadStream(createReadStream(file), 8 * 1024 * 1024, 4);
    },
    async download(key, file) {
      await azure.admin.getBlobClient(key).downloadToFile(file);
    },
    async read(key) {
      const response = await azure.admin.getBlobClient(key).download();
      return drain(response.readableStreamBody as Readable);
    },
    stop: azure.teardown,
  };
}

export async function startGcsStore(): Promise<StoreUnderTest> {
  const gcs = await startGcsFixture();
  const bucket = gcs.admin.bucket(gcs.bucket);
  return {
    name: "gcs (fake-gcs-server)",
    configuration: gcs.yaml(),
    secretsDir: gcs.secretsDir,
    async upload(file, key) {
      // The SDK's resumable upload with the plugin's chunk size and check.
      await pipeline(
        createReadStream(file),
        bucket.file(key).createWriteStream({ resumable: true, chunkSize: 16 * 1024 * 1024, validation: "md5" }),
      );
    },
    async download(key, file) {
      await pipeline(bucket.file(key).createReadStream({ validation: "md5" }), createWriteStream(file));
    },
    async read(key) {
      return drain(bucket.file(key).createReadStream({ validation: "md5" }));
    },
    stop: gcs.teardown,
  };
}
