/**
 * Configuration of the `s3` backend, in the vocabulary of Argo's own S3
 * artifact repository so that users can paste what they have.
 */
import { z } from "zod";
import { absolutePath, keyPrefix, retries, secretSelector, secretsNamespace } from "../../src/config.ts";
import { GiB, MiB } from "../../src/units.ts";

export const s3ConfigSchema = z
  .strictObject({
    /** Host and port, with or without scheme: `s3.amazonaws.com`, `my-minio.default:9000`. */
    endpoint: z.string({ error: "expected a host[:port] or URL" }).min(1, "expected a host[:port] or URL"),
    bucket: z.string({ error: "expected a bucket name" }).min(1, "expected a bucket name"),
    region: z.string({ error: "expected a region name" }).optional(),
    /** Plain HTTP instead of HTTPS. */
    insecure: z.boolean({ error: "expected true or false" }).optional(),
    caSecret: secretSelector.optional(),
    caFile: absolutePath.optional(),
    forcePathStyle: z.boolean({ error: "expected true or false" }).optional(),
    accessKeySecret: secretSelector.optional(),
    secretKeySecret: secretSelector.optional(),
    sessionTokenSecret: secretSelector.optional(),
    /** Namespace to read the Secrets above from through the Kubernetes API (default: the pod's). */
    secretsNamespace: secretsNamespace.optional(),
    useSDKCreds: z.boolean({ error: "expected true or false" }).optional(),
    roleARN: z.string({ error: "expected a role ARN" }).optional(),
    createBucketIfNotPresent: z
      .strictObject({ objectLocking: z.boolean({ error: "expected true or false" }).optional() })
      .optional(),
    encryptionOptions: z
      .strictObject({
        enableEncryption: z.boolean({ error: "expected true or false" }).optional(),
        kmsKeyId: z.string({ error: "expected a KMS key id" }).optional(),
        kmsEncryptionContext: z.string({ error: "expected a JSON string" }).optional(),
        serverSideCustomerKeySecret: secretSelector.optional(),
      })
      .optional(),
    keyPrefix: keyPrefix.optional(),
    /** Multipart part size in bytes (S3 allows 5 MiB to 5 GiB). */
    partSize: z
      .number({ error: "expected a size in bytes" })
      .int()
      .min(5 * MiB, "expected at least 5 MiB (5242880)")
      .max(5 * GiB, "expected at most 5 GiB")
      .optional(),
    maxRetries: retries.optional(),
    /**
     * Whether uploads carry the SDK's flexible checksums (CRC32 in an
     * aws-chunked trailer). `WHEN_REQUIRED`, the default, sends them only
     * where S3 demands one (DeleteObjects): stores that predate them (older
     * MinIO, Ceph RGW, GCS interop, Swift s3api) reject such bodies or store
     * the chunk framing inside the object (Argo issue #12525). Set
     * `WHEN_SUPPORTED` for AWS to have every part checksummed end to end.
     * The same value decides whether downloads are checked against a stored
     * full-object checksum (the SDK's `responseChecksumValidation`).
     */
    requestChecksumCalculation: z
      .enum(["WHEN_REQUIRED", "WHEN_SUPPORTED"], { error: "expected WHEN_REQUIRED or WHEN_SUPPORTED" })
      .optional(),
  })
  .refine((c) => !(c.caSecret && c.caFile), { message: "set caSecret or caFile, not both", path: ["caFile"] })
  .refine((c) => !(c.encryptionOptions?.kmsKeyId && c.encryptionOptions.serverSideCustomerKeySecret), {
    message: "set kmsKeyId or serverSideCustomerKeySecret, not both",
    path: ["encryptionOptions", "serverSideCustomerKeySecret"],
  })
  .refine(
    (c) =>
      !(
        c.encryptionOptions?.enableEncryption &&
        c.encryptionOptions.serverSideCustomerKeySecret &&
        (c.insecure || /^http:\/\//i.test(c.endpoint))
      ),
    {
      message:
        "SSE-C sends the key with every request, so it needs HTTPS: remove insecure: true (or the http:// of the endpoint)",
      path: ["encryptionOptions", "serverSideCustomerKeySecret"],
    },
  )
  .refine(
    (c) =>
      c.encryptionOptions?.kmsEncryptionContext === undefined || isJsonObject(c.encryptionOptions.kmsEncryptionContext),
    {
      message: 'expected a JSON object, e.g. \'{"team": "ml"}\'',
      path: ["encryptionOptions", "kmsEncryptionContext"],
    },
  )
  .refine((c) => !c.accessKeySecret === !c.secretKeySecret, {
    message: "accessKeySecret and secretKeySecret go together",
    path: ["secretKeySecret"],
  });

export type S3Config = z.infer<typeof s3ConfigSchema>;

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value);
  } catch {
    return false;
  }
}
