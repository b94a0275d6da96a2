/**
 * Azurite with a container, the account key and a container SAS token in a
 * mounted-Secret folder, and the pieces to configure the azure backend.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  ContainerClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { type AzureConfig, azureConfigSchema } from "../../drivers/azure/config.ts";
import { SecretResolver } from "../../src/secrets.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteServer, startAzurite } from "../peers/azurite.ts";

export interface AzureFixture {
  azurite: AzuriteServer;
  container: string;
  secretsDir: string;
  secrets: SecretResolver;
  /** A plain SDK client with the account key, for looking behind the driver. */
  admin: ContainerClient;
  config(extra?: Partial<AzureConfig>): AzureConfig;
  yaml(extra?: Partial<AzureConfig>): string;
  teardown(): Promise<void>;
}

export async function startAzureFixture(): Promise<AzureFixture> {
  const azurite = await startAzurite();
  const container = "artifacts";
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const admin = new ContainerClient(`${azurite.endpoint}/${container}`, credential);
  await admin.create();
  const sas = generateBlobSASQueryParameters(
    {
      containerName: container,
      permissions: ContainerSASPermissions.parse("racwdl"),
      expiresOn: new Date(Date.now() + 3600_000),
    },
    credential,
  ).toString();
  const secretsDir = await mkdtemp(path.join(os.tmpdir(), "secrets-"));
  await mkdir(path.join(secretsDir, "azure"));
  await writeFile(path.join(secretsDir, "azure", "accountKey"), AZURITE_KEY);
  await writeFile(path.join(secretsDir, "azure", "sas"), sas);
  const base = { endpoint: azurite.endpoint, container, accountKeySecret: { name: "azure", key: "accountKey" } };
  return {
    azurite,
    container,
    secretsDir,
    secrets: new SecretResolver({ secretsDir, serviceAccountDir: path.join(secretsDir, "none"), ttlMs: 60_000 }),
    admin,
    config: (extra = {}) => azureConfigSchema.parse({ ...base, ...extra }),
    yaml: (extra = {}) => `azure: ${JSON.stringify({ ...base, ...extra })}`,
    async teardown() {
      await azurite.stop();
      await rm(secretsDir, { recursive: true, force: true });
    },
  };
}
