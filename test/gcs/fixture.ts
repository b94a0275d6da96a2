/**
 * fake-gcs-server with a bucket, and the pieces to configure the gcs backend
 * against it. A service-account key made by the test (a fresh RSA key; no
 * such account exists anywhere) sits in a mounted-Secret folder.
 */

import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Storage } from "@google-cloud/storage";
import { type GcsConfig, gcsConfigSchema } from "../../drivers/gcs/config.ts";
import { SecretResolver } from "../../src/secrets.ts";
import { type FakeGcsServer, startFakeGcs } from "../peers/fake-gcs.ts";

export interface GcsFixture {
  server: FakeGcsServer;
  bucket: string;
  secretsDir: string;
  secrets: SecretResolver;
  /** The public half of the test service account's key, to check signatures with. */
  publicKey: string;
  clientEmail: string;
  /** A plain SDK client of the emulator, for looking behind the driver. */
  admin: Storage;
  config(extra?: Partial<GcsConfig>): GcsConfig;
  yaml(extra?: Partial<GcsConfig>): string;
  teardown(): Promise<void>;
}

export async function startGcsFixture(): Promise<GcsFixture> {
  const server = await startFakeGcs();
  const admin = new Storage({ apiEndpoint: server.url, projectId: "test" });
  const bucket = "artifacts";
  await admin.createBucket(bucket);
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const clientEmail = "argo-artifacts@multistore-test.iam.gserviceaccount.com";
  const secretsDir = await mkdtemp(path.join(os.tmpdir(), "secrets-"));
  await mkdir(path.join(secretsDir, "gcs"));
  await writeFile(
    path.join(secretsDir, "gcs", "key.json"),
    JSON.stringify({
      type: "service_account",
      project_id: "multistore-test",
      private_key_id: "0123456789abcdef",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
      client_email: clientEmail,
      client_id: "100000000000000000001",
      token_uri: "https://oauth2.googleapis.com/token",
    }),
  );
  const base = { bucket, endpoint: server.url };
  return {
    server,
    bucket,
    secretsDir,
    secrets: new SecretResolver({ secretsDir, serviceAccountDir: path.join(secretsDir, "none"), ttlMs: 60_000 }),
    publicKey: publicKey.export({ type: "spki", format: "pem" }) as string,
    clientEmail,
    admin,
    config: (extra = {}) => gcsConfigSchema.parse({ ...base, ...extra }),
    yaml: (extra = {}) => `gcs: ${JSON.stringify({ ...base, ...extra })}`,
    async teardown() {
      await server.stop();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}
