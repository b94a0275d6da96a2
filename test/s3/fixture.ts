/**
 * A MinIO server with a bucket, credentials in a mounted-Secret folder made
 * by the test, and the pieces to configure the s3 backend against it.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { type S3Config, s3ConfigSchema } from "../../drivers/s3/config.ts";
import { SecretResolver } from "../../src/secrets.ts";
import { type MinioOptions, type MinioServer, startMinio } from "../peers/minio.ts";

export interface S3Fixture {
  minio: MinioServer;
  bucket: string;
  /** The mounted-Secret folder: `creds/accessKey`, `creds/secretKey` hold MinIO's keys. */
  secretsDir: string;
  secrets: SecretResolver;
  /** A plain SDK client with the root credentials, for looking behind the driver. */
  admin: S3Client;
  /** The s3 configuration object for this server, with `extra` fields merged in. */
  config(extra?: Partial<S3Config>): S3Config;
  /** The same as YAML text, as it arrives in an artifact's `configuration`. */
  yaml(extra?: Partial<S3Config>): string;
  /** Writes one key of a Secret into the mounted-Secret folder. */
  writeSecret(name: string, key: string, value: string): Promise<void>;
  teardown(): Promise<void>;
}

export async function startS3Fixture(options: MinioOptions & { caFile?: string } = {}): Promise<S3Fixture> {
  const minio = await startMinio(options);
  const secretsDir = await mkdtemp(path.join(os.tmpdir(), "secrets-"));
  const writeSecret = async (name: string, key: string, value: string) => {
    await mkdir(path.join(secretsDir, name), { recursive: true });
    await writeFile(path.join(secretsDir, name, key), value);
  };
  await writeSecret("creds", "accessKey", minio.accessKey);
  await writeSecret("creds", "secretKey", `${minio.secretKey}\n`); // as `kubectl create secret --from-file` may leave it
  const bucket = "artifacts";
  const admin = new S3Client({
    endpoint: minio.url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    ...(options.tls ? { requestHandler: await tlsHandler(options.tls.ca) } : {}),
  });
  await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  const base = {
    endpoint: minio.endpoint,
    bucket,
    insecure: !options.tls,
    accessKeySecret: { name: "creds", key: "accessKey" },
    secretKeySecret: { name: "creds", key: "secretKey" },
    ...(options.caFile ? { caFile: options.caFile } : {}),
  };
  const config = (extra: Partial<S3Config> = {}) => s3ConfigSchema.parse({ ...base, ...extra });
  return {
    minio,
    bucket,
    secretsDir,
    secrets: new SecretResolver({
      secretsDir,
      serviceAccountDir: path.join(secretsDir, "no-service-account"),
      ttlMs: 60_000,
    }),
    admin,
    config,
    yaml: (extra = {}) => `s3: ${JSON.stringify({ ...base, ...extra })}`,
    writeSecret,
    async teardown() {
      admin.destroy();
      await minio.stop();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}

async function tlsHandler(ca: string) {
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  const https = await import("node:https");
  return new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) });
}
