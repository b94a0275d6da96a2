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
import { type ApiError, IdempotencyStrategy, RETRYABLE_ERR_FN_DEFAULT, Storage } from "@google-cloud/storage";
import { JWT } from "google-auth-library";
import { InvalidConfigError } from "../../src/errors.ts";
import { registerSecret } from "../../src/redact.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import { isPlainHttpAnswer } from "../object-store.ts";
import type { GcsConfig } from "./config.ts";

const SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";

interface ServiceAccountKey {
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  project_id?: string;
}

/** The key Secret's current value (re-read when the resolver's cache expires), or undefined without one. */
export async function currentKey(config: GcsConfig, secrets: SecretResolver): Promise<string | undefined> {
  return config.serviceAccountKeySecret
    ? secrets.resolve(config.serviceAccountKeySecret, "gcs.serviceAccountKeySecret")
    : undefined;
}

/** A client for `keyText` (the key Secret's value), or for ADC or an emulator without one. */
export function createStorage(config: GcsConfig, keyText: string | undefined, maxRetries: number): Storage {
  const retryOptions = {
    autoRetry: true,
    maxRetries,
    retryDelayMultiplier: 2,
    maxRetryDelay: 20,
    totalTimeout: 600,
    // Every call we make is safe to repeat: uploads are to a session or replace the whole object, deletes ignore 404.
    idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    // A TLS handshake that met plain HTTP fails the same way every time: no point retrying it.
    retryableErrorFn: (error: ApiError) => !isPlainHttpAnswer(error) && RETRYABLE_ERR_FN_DEFAULT(error),
  };
  const endpoint = config.endpoint ? { apiEndpoint: config.endpoint.replace(/\/+$/, "") } : {};
  if (keyText === undefined) {
    const emulator = config.endpoint?.startsWith("http://") ?? false;
    return new Storage({
      ...endpoint,
      retryOptions,
      useAuthWithCustomEndpoint: !emulator,
      projectId: emulator ? "emulator" : undefined,
    });
  }
  let key: ServiceAccountKey;
  try {
    key = JSON.parse(keyText) as ServiceAccountKey;
  } catch {
    throw new InvalidConfigError(
      "gcs.serviceAccountKeySecret: the Secret's value is not JSON; expected a service-account key file",
    );
  }
  if (!key.client_email || !key.private_key) {
    throw new InvalidConfigError(
      "gcs.serviceAccountKeySecret: the key has no client_email or private_key; expected a service-account key file",
    );
  }
  registerSecret(key.private_key); // parsed, its newlines are real: not the text the resolver registered
  const authClient = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [SCOPE],
  });
  authClient.useJWTAccessWithScope = true; // sign our own JWT rather than fetch a token from oauth2.googleapis.com
  return new Storage({
    ...endpoint,
    retryOptions,
    authClient,
    projectId: key.project_id,
    useAuthWithCustomEndpoint: true,
  });
}
