/** Configuration of the `gcs` backend, in the vocabulary of Argo's GCS artifact repository. */
import { z } from "zod";
import { keyPrefix, retries, secretSelector, secretsNamespace } from "../../src/config.ts";

export const gcsConfigSchema = z.strictObject({
  bucket: z.string({ error: "expected a bucket name" }).min(1, "expected a bucket name"),
  keyPrefix: keyPrefix.optional(),
  /** A Secret holding a service-account JSON key; without it, Application Default Credentials. */
  serviceAccountKeySecret: secretSelector.optional(),
  /** Namespace to read the Secrets above from through the Kubernetes API (default: the pod's). */
  secretsNamespace: secretsNamespace.optional(),
  /** For emulators and private endpoints. */
  endpoint: z.url({ error: "expected a URL" }).optional(),
  /** Retries of 5xx, 429 and broken connections, with exponential backoff. */
  maxRetries: retries.optional(),
});

export type GcsConfig = z.infer<typeof gcsConfigSchema>;
