/**
 * The `s3` backend: any S3-compatible store. Objects are laid out exactly as
 * Argo's own S3 driver lays them out (a directory artifact is one object per
 * file at `key/<relative path>`, under the configured bucket), so artifacts
 * written by either can be read by the other; `keyPrefix`, when set, is
 * prepended to every key.
 */

import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { UntilFailure } from "../../src/concurrency.ts";
import type { Driver, DriverDeps, ObjectInfo, TransferOptions } from "../../src/driver.ts";
import { NotFoundError } from "../../src/errors.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import { MiB } from "../../src/units.ts";
import { prefixFolder, storedName } from "../object-store.ts";
import { createS3Client, DEFAULT_MAX_RETRIES, endpointUrl } from "./client.ts";
import type { S3Config } from "./config.ts";
import { openDownload, recordedDigest } from "./download.ts";
import { missingBucket, type S3Target, s3Error } from "./errors.ts";
import { Encryption } from "./sse.ts";
import { partSizeFor, uploadObject } from "./upload.ts";

/** Part size when the configuration sets none: minio-go's, and what Argo's uploads use. */
export const DEFAULT_PART_BYTES = 16 * MiB;
/** Parts in flight per upload: Argo's default upload threads. */
const PART_QUEUE = 4;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

export function createS3Driver(config: S3Config, deps: Pick<DriverDeps, "secrets"> & Partial<DriverDeps>): Driver {
  return new S3Driver(config, deps.secrets.forNamespace(config.secretsNamespace), deps.log ?? silentLogger);
}

class S3Driver implements Driver {
  private readonly config: S3Config;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpoint: string;
  private readonly encryption: Encryption;
  private readonly secrets: SecretResolver;
  private readonly log: Logger;
  /** Built on first use; dropped if building failed (a CA Secret not there yet), so the next call tries again. */
  private readonly client = new UntilFailure(() => createS3Client(this.config, this.secrets));
  /** The bucket made sure of once (createBucketIfNotPresent); tried again on the next write after a failure. */
  private readonly bucketReady = new UntilFailure((client: S3Client) => this.createBucketIfMissing(client));

  constructor(config: S3Config, secrets: SecretResolver, log: Logger) {
    this.config = config;
    this.bucket = config.bucket;
    this.prefix = prefixFolder(config.keyPrefix);
    this.endpoint = endpointUrl(config).host;
    this.encryption = new Encryption(config, secrets);
    this.secrets = secrets;
    this.log = log;
  }

  async get(key: string, options: TransferOptions = {}): Promise<Readable> {
    const objectKey = this.objectKey(key);
    return this.call(key, async (client) => {
      const input = { Bucket: this.bucket, Key: objectKey, ...(await this.encryption.forRead(objectKey)) };
      return openDownload(client, input, {
        maxRetries: this.config.maxRetries ?? DEFAULT_MAX_RETRIES,
        signal: options.signal,
        mapError: (error) => s3Error(error, this.target(key)),
        where: `object '${key}' in bucket '${this.bucket}'`,
      });
    });
  }

  async put(key: string, body: Readable, options: TransferOptions = {}): Promise<void> {
    try {
      const objectKey = this.objectKey(key);
      await this.call(key, async (client) => {
        await this.ensureBucket(client);
        const target = { Bucket: this.bucket, Key: objectKey, encryption: await this.encryption.forWrite(objectKey) };
        await uploadObject(client, target, body, {
          partSize: partSizeFor(this.config.partSize ?? DEFAULT_PART_BYTES, options.size),
          queueSize: PART_QUEUE,
          checksums: this.config.requestChecksumCalculation === "WHEN_SUPPORTED",
          signal: options.signal,
          sha256: options.sha256,
          log: this.log,
        });
      });
    } catch (error) {
      body.destroy();
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const objectKey = this.objectKey(key);
    return this.call(key, async (client) => {
      const input = { Bucket: this.bucket, Key: objectKey };
      const head = await client.send(
        new HeadObjectCommand({ ...input, ...(await this.encryption.forRead(objectKey)) }),
      );
      const digest = await recordedDigest(client, input, head, "HeadObject");
      return {
        key,
        size: head.ContentLength ?? 0,
        modified: head.LastModified,
        ...(digest ? { sha256: digest.value } : {}),
      };
    });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const client = await this.s3();
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call(undefined, () =>
        client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken })),
      );
      for (const object of page.Contents ?? []) {
        // `dir/` marker objects (made by consoles and some tools) are folders, not files, as in Argo.
        if (!object.Key || object.Key.endsWith("/")) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, modified: object.LastModified };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    await this.call(key, (client) => client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey })));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const client = await this.s3();
    let batch: string[] = [];
    let deleted = 0;
    const flush = async () => {
      const Objects = batch.map((Key) => ({ Key }));
      batch = [];
      const result = await this.call(undefined, () =>
        client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects, Quiet: true } })),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw s3Error(
          {
            name: first?.Code,
            message: `${failed.length} of ${Objects.length} objects were not deleted, e.g. '${first?.Key}': ${first?.Message}`,
          },
          this.target(),
        );
      }
      deleted += Objects.length;
    };
    for await (const object of this.list(prefix)) {
      batch.push(this.prefix + object.key);
      if (batch.length === DELETE_BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    return deleted;
  }

  async dispose(): Promise<void> {
    const client = await this.client.forget()?.catch(() => undefined);
    client?.destroy();
  }

  /**
   * Creates the bucket on first write when `createBucketIfNotPresent` is set.
   * HeadBucket first, so credentials without s3:CreateBucket work on an
   * existing bucket; a creator racing us is fine.
   */
  private ensureBucket(client: S3Client): Promise<void> {
    return this.config.createBucketIfNotPresent ? this.bucketReady.get(client) : Promise.resolve();
  }

  /** HeadBucket, and CreateBucket (with the default encryption rule) if it is not there. */
  private async createBucketIfMissing(client: S3Client): Promise<void> {
    const wanted = this.config.createBucketIfNotPresent;
    if (!wanted) return;
    try {
      await client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
    }
    const region = await client.config.region();
    try {
      await client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          ObjectLockEnabledForBucket: wanted.objectLocking || undefined,
          CreateBucketConfiguration:
            region && region !== "us-east-1" ? { LocationConstraint: region as never } : undefined,
        }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
      return;
    }
    const rule = this.encryption.bucketDefault;
    if (rule) {
      await client.send(
        new PutBucketEncryptionCommand({
          Bucket: this.bucket,
          ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: rule }] },
        }),
      );
    }
  }

  /** The stored key of `key`: checked (drivers never trust a key to be safe) and under keyPrefix. */
  private objectKey(key: string): string {
    return storedName(this.prefix, key);
  }

  private target(key?: string): S3Target {
    return { endpoint: this.endpoint, bucket: this.bucket, key };
  }

  /** The client, once built (reading a caFile or a CA Secret may fail). */
  private s3(): Promise<S3Client> {
    return this.call(undefined, (client) => Promise.resolve(client));
  }

  /** Runs `work` with the client, folding any failure into the plugin's errors. */
  private async call<T>(key: string | undefined, work: (client: S3Client) => Promise<T>): Promise<T> {
    let client: S3Client | undefined;
    try {
      client = await this.client.get();
      return await work(client);
    } catch (error) {
      const folded = s3Error(error, this.target(key));
      // HeadObject's 404 has no body to say whether the key or the bucket is missing: ask.
      if (folded instanceof NotFoundError && client && !(await this.bucketExists(client)))
        throw missingBucket(this.target(key), error);
      throw folded;
    }
  }

  private async bucketExists(client: S3Client): Promise<boolean> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch (error) {
      return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404;
    }
  }
}
