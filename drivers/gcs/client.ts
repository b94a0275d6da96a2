/**
 * The Storage client for one configuration. Credentials, as in Argo: a
 * service-account JSON key from a Secret, else Application Default
 * Credentials (workload identity, the metadata server).
 *
 * With a key, requests carry a JWT the plugin signs itself (scoped to
 * read_write) instead of an access token fetched from Google's token
 * endpoint: GCS accepts both, and this way no token round trip precedes the
 * first request, and nothing leaves for a host other than the endpoint.
 * A plain-HTTP `endpoint` without a key is taken for an emulator
 * (fake-gcs-server, the Firebase emulator), which needs no credentials.
 */
import { Storage, IdempotencyStrategy } from "@google-cloud/storage";
import { JWT } from "google-auth-library";
import { InvalidConfigError } from "../../src/errors.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import type { GcsConfig } from "./config.ts";

const SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";

interface ServiceAccountKey {
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  project_id?: string;
}

export async function createStorage(config: GcsConfig, secrets: SecretResolver, maxRetries: number): Promise<Storage> {
  const retryOptions = {
    autoRetry: true,
    maxRetries,
    retryDelayMultiplier: 2,
    maxRetryDelay: 20,
    totalTimeout: 600,
    // Every call we make is safe to repeat: uploads are to a session or replace the whole object, deletes ignore 404.
    idempotencyStrategy: IdempotencyStrategy.RetryAlways,
  };
  const endpoint = config.endpoint ? { apiEndpoint: config.endpoint.replace(/\/+$/, "") } : {};
  if (!config.serviceAccountKeySecret) {
    const emulator = config.endpoint?.startsWith("http://") ?? false;
    return new Storage({ ...endpoint, retryOptions, useAuthWithCustomEndpoint: !emulator, projectId: emulator ? "emulator" : undefined });
  }
  const text = await secrets.resolve(config.serviceAccountKeySecret, "gcs.serviceAccountKeySecret");
  let key: ServiceAccountKey;
  try {
    key = JSON.parse(text) as ServiceAccountKey;
  } catch {
    throw new InvalidConfigError("gcs.serviceAccountKeySecret: the Secret's value is not JSON; expected a service-account key file");
  }
  if (!key.client_email || !key.private_key) {
    throw new InvalidConfigError("gcs.serviceAccountKeySecret: the key has no client_email or private_key; expected a service-account key file");
  }
  const authClient = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [SCOPE] });
  authClient.useJWTAccessWithScope = true; // sign our own JWT rather than fetch a token from oauth2.googleapis.com
  return new Storage({ ...endpoint, retryOptions, authClient, projectId: key.project_id, useAuthWithCustomEndpoint: true });
}
