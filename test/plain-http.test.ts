/**
 * An `https://` endpoint that answers plain HTTP (the scheme or the port is
 * wrong) is UNAVAILABLE with a hint naming the field to fix, on every object
 * store, instead of an INTERNAL TLS error. The endpoint is a plain HTTP
 * listener on loopback: the handshake fails before any storage protocol.
 */
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azureConfigSchema } from "../drivers/azure/config.ts";
import { createAzureDriver } from "../drivers/azure/index.ts";
import { gcsConfigSchema } from "../drivers/gcs/config.ts";
import { createGcsDriver } from "../drivers/gcs/index.ts";
import { s3ConfigSchema } from "../drivers/s3/config.ts";
import { createS3Driver } from "../drivers/s3/index.ts";
import type { Driver } from "../src/driver.ts";
import { UnavailableError } from "../src/errors.ts";
import { SecretResolver } from "../src/secrets.ts";

let server: http.Server;
let endpoint: string;
let secretsDir: string;
let secrets: SecretResolver;

beforeAll(async () => {
  server = http.createServer((_request, response) => response.end("plain HTTP here"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  secretsDir = await mkdtemp(path.join(os.tmpdir(), "secrets-"));
  const write = async (name: string, key: string, value: string) => {
    await mkdir(path.join(secretsDir, name), { recursive: true });
    await writeFile(path.join(secretsDir, name, key), value);
  };
  await write("s3", "accessKey", "minioadmin");
  await write("s3", "secretKey", "minioadmin");
  await write("azure", "accountKey", Buffer.from("k".repeat(64)).toString("base64"));
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await write(
    "gcs",
    "key.json",
    JSON.stringify({
      type: "service_account",
      project_id: "p",
      private_key_id: "1",
      client_email: "a@p.iam.gserviceaccount.com",
      private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
    }),
  );
  secrets = new SecretResolver({ secretsDir, serviceAccountDir: path.join(secretsDir, "none"), ttlMs: 60_000 });
});
afterAll(async () => {
  server.close();
  await rm(secretsDir, { recursive: true, force: true });
});

const drivers: Record<string, [() => Driver, RegExp]> = {
  s3: [
    () =>
      createS3Driver(
        s3ConfigSchema.parse({
          endpoint,
          bucket: "b",
          maxRetries: 0,
          accessKeySecret: { name: "s3", key: "accessKey" },
          secretKeySecret: { name: "s3", key: "secretKey" },
        }),
        { secrets },
      ),
    /give the endpoint as http:\/\/…, or without a scheme and with insecure: true/,
  ],
  azure: [
    () =>
      createAzureDriver(
        azureConfigSchema.parse({
          endpoint: `${endpoint}/devstoreaccount1`,
          container: "c",
          accountKeySecret: { name: "azure", key: "accountKey" },
        }),
        { secrets },
      ),
    /give azure\.endpoint as http:\/\/…/,
  ],
  gcs: [
    () =>
      createGcsDriver(
        gcsConfigSchema.parse({
          endpoint,
          bucket: "b",
          maxRetries: 0,
          serviceAccountKeySecret: { name: "gcs", key: "key.json" },
        }),
        { secrets },
      ),
    /give gcs\.endpoint as http:\/\/…/,
  ],
};

describe("an https endpoint that answers plain HTTP", () => {
  it.each(Object.keys(drivers))("%s: UNAVAILABLE, naming the field to fix", { timeout: 60_000 }, async (name) => {
    const [make, hint] = drivers[name] as [() => Driver, RegExp];
    const driver = make();
    try {
      const error = await driver.stat("some/key").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toMatch(/answered plain HTTP to a TLS \(https\) request/);
      expect((error as Error).message).toMatch(hint);
    } finally {
      await driver.dispose();
    }
  });
});
