/**
 * Server-side encryption, exactly as Argo's S3 driver applies it, so that
 * objects either of us wrote the other can read:
 *
 * - nothing unless `encryptionOptions.enableEncryption` is true;
 * - with `serverSideCustomerKeySecret`, SSE-C with a per-object key derived
 *   from the Secret by Argon2id (1 pass, 64 MiB, 4 lanes, 32 bytes) salted
 *   with bucket + object key: minio-go's `encrypt.DefaultPBKDF`, which Argo
 *   uses (checked byte for byte against Go's argon2.IDKey);
 * - with `kmsKeyId`, SSE-KMS, the context sent as base64 of compact JSON;
 * - otherwise SSE-S3 (AES256).
 */
import { argon2, createHash } from "node:crypto";
import { promisify } from "node:util";
import { InvalidRequestError } from "../../src/errors.ts";
import { registerSecret } from "../../src/redact.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import type { S3Config } from "./config.ts";

const argon2Async = promisify(argon2);
/** Each derivation holds 64 MiB: at most this many run at once. */
const DERIVATIONS_AT_ONCE = 2;
/** Derived keys kept, so a read right after a write (or a retried call) does not derive again. */
const KEY_CACHE_SIZE = 256;

/** Headers for writing an object. */
export interface WriteEncryption {
  ServerSideEncryption?: "AES256" | "aws:kms";
  SSEKMSKeyId?: string;
  SSEKMSEncryptionContext?: string;
  SSECustomerAlgorithm?: "AES256";
  SSECustomerKey?: string;
}

/** Headers needed to read an object back: only SSE-C needs any. */
export interface ReadEncryption {
  SSECustomerAlgorithm?: "AES256";
  SSECustomerKey?: string;
}

export class Encryption {
  private readonly options: S3Config["encryptionOptions"];
  private readonly bucket: string;
  private readonly secrets: SecretResolver;
  private readonly derived = new Map<string, string>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;

  constructor(config: S3Config, secrets: SecretResolver) {
    this.options = config.encryptionOptions?.enableEncryption ? config.encryptionOptions : undefined;
    this.bucket = config.bucket;
    this.secrets = secrets;
  }

  /** SSE-S3 or SSE-KMS: what a bucket created by us gets as its default encryption. */
  get bucketDefault(): { SSEAlgorithm: "AES256" | "aws:kms"; KMSMasterKeyID?: string } | undefined {
    if (!this.options || this.options.serverSideCustomerKeySecret) return undefined;
    return this.options.kmsKeyId
      ? { SSEAlgorithm: "aws:kms", KMSMasterKeyID: this.options.kmsKeyId }
      : { SSEAlgorithm: "AES256" };
  }

  async forWrite(objectKey: string): Promise<WriteEncryption> {
    const options = this.options;
    if (!options) return {};
    if (options.serverSideCustomerKeySecret) return this.customerKey(objectKey);
    if (options.kmsKeyId) {
      const context = options.kmsEncryptionContext;
      return {
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: options.kmsKeyId,
        SSEKMSEncryptionContext: context
          ? Buffer.from(JSON.stringify(JSON.parse(context))).toString("base64")
          : undefined,
      };
    }
    return { ServerSideEncryption: "AES256" };
  }

  async forRead(objectKey: string): Promise<ReadEncryption> {
    return this.options?.serverSideCustomerKeySecret ? this.customerKey(objectKey) : {};
  }

  private async customerKey(objectKey: string): Promise<ReadEncryption> {
    const selector = this.options?.serverSideCustomerKeySecret;
    if (!selector) return {};
    const password = await this.secrets.resolve(selector, "s3.encryptionOptions.serverSideCustomerKeySecret");
    const salt = Buffer.from(this.bucket + objectKey);
    if (salt.length < 8) {
      // Go's Argon2 takes any salt; Node's needs 8 bytes. Only tiny bucket + key names hit this.
      throw new InvalidRequestError(
        `SSE-C needs bucket name + key of at least 8 bytes to derive the object's key; '${objectKey}' in bucket '${this.bucket}' is shorter`,
      );
    }
    const id = createHash("sha256").update(password).update("\0").update(salt).digest("base64");
    let encoded = this.derived.get(id);
    if (encoded === undefined) {
      const key = await this.limit(() =>
        argon2Async("argon2id", {
          message: Buffer.from(password),
          nonce: salt,
          passes: 1,
          memory: 64 * 1024,
          parallelism: 4,
          tagLength: 32,
        }),
      );
      // Base64 of exactly 32 bytes: the SDK sends it as is and adds its MD5.
      encoded = key.toString("base64");
      registerSecret(encoded);
      if (this.derived.size >= KEY_CACHE_SIZE) this.derived.delete(this.derived.keys().next().value as string);
      this.derived.set(id, encoded);
    }
    return { SSECustomerAlgorithm: "AES256", SSECustomerKey: encoded };
  }

  /** Runs `work` when fewer than DERIVATIONS_AT_ONCE derivations are running. */
  private async limit<T>(work: () => Promise<T>): Promise<T> {
    while (this.running >= DERIVATIONS_AT_ONCE) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
