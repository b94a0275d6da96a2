/**
 * Server-side encryption, exactly as Argo's S3 driver applies it, so that
 * objects either of us wrote the other can read:
 *
 * - nothing unless `encryptionOptions.enableEncryption` is true;
 * - with `serverSideCustomerKeySecret`, SSE-C with a per-object key derived
 *   from the Secret by PBKDF2-HMAC-SHA256 (8192 rounds, 32 bytes) salted with
 *   bucket + object key: minio-go's `encrypt.DefaultPBKDF`, which Argo uses;
 * - with `kmsKeyId`, SSE-KMS, the context sent as base64 of compact JSON;
 * - otherwise SSE-S3 (AES256).
 */
import { pbkdf2 } from "node:crypto";
import { promisify } from "node:util";
import { registerSecret } from "../../src/redact.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import type { S3Config } from "./config.ts";

const derive = promisify(pbkdf2);

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

  constructor(config: S3Config, secrets: SecretResolver) {
    this.options = config.encryptionOptions?.enableEncryption ? config.encryptionOptions : undefined;
    this.bucket = config.bucket;
    this.secrets = secrets;
  }

  /** SSE-S3 or SSE-KMS: what a bucket created by us gets as its default encryption. */
  get bucketDefault(): { SSEAlgorithm: "AES256" | "aws:kms"; KMSMasterKeyID?: string } | undefined {
    if (!this.options || this.options.serverSideCustomerKeySecret) return undefined;
    return this.options.kmsKeyId ? { SSEAlgorithm: "aws:kms", KMSMasterKeyID: this.options.kmsKeyId } : { SSEAlgorithm: "AES256" };
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
        SSEKMSEncryptionContext: context ? Buffer.from(JSON.stringify(JSON.parse(context))).toString("base64") : undefined,
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
    const key = await derive(Buffer.from(password), Buffer.from(this.bucket + objectKey), 8192, 32, "sha256");
    // Base64 of exactly 32 bytes: the SDK sends it as is and adds its MD5.
    const encoded = key.toString("base64");
    registerSecret(encoded);
    return { SSECustomerAlgorithm: "AES256", SSECustomerKey: encoded };
  }
}
