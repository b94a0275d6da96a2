/**
 * The `gcs` backend: Google Cloud Storage through its JSON API, laid out as
 * Argo's GCS driver lays objects out (a directory artifact is one object per
 * file at `key/<relative path>`), under `keyPrefix` when set.
 *
 * Uploads shorter than one chunk go up in one request; longer ones as a
 * resumable upload in 16 MiB chunks, each retried on its own. An object
 * appears only when its upload is finalised, so a failed or cancelled upload
 * leaves nothing. Reads are pinned to the generation they started on, resume
 * a broken body, and check the whole object's MD5 before they end.
 */

import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { File, Storage } from "@google-cloud/storage";
import { backoffMs } from "../../src/concurrency.ts";
import type { Driver, DriverDeps, ObjectInfo, TransferOptions } from "../../src/driver.ts";
import { NotFoundError } from "../../src/errors.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import { MiB } from "../../src/units.ts";
import { checkedBody, damagedObject, recordedSha256, SHA256_METADATA_KEY, sha256Field } from "../content-check.ts";
import { deleteListed, destroyOnAbort, prefixFolder, storedName } from "../object-store.ts";
import { resumableRead } from "../resumable-read.ts";
import { concat, peek } from "./body.ts";
import { createStorage, currentKey } from "./client.ts";
import type { GcsConfig } from "./config.ts";
import { recordSha256 } from "./digest.ts";
import { type GcsTarget, gcsError, missingBucket } from "./errors.ts";
import { sdkReadStream } from "./read-stream.ts";

/** Resumable-upload chunk: what one upload holds in memory, and the unit a retry resends. */
export const CHUNK_BYTES = 16 * MiB;
/** Transient failures (a broken download body too) are retried this often unless `maxRetries` says otherwise. */
export const MAX_RETRIES = 5;
const DELETE_CONCURRENCY = 16;
const PAGE_SIZE = 1000;

export function createGcsDriver(config: GcsConfig, deps: Pick<DriverDeps, "secrets"> & Partial<DriverDeps>): Driver {
  return new GcsDriver(config, deps.secrets.forNamespace(config.secretsNamespace), deps.log ?? silentLogger);
}

class GcsDriver implements Driver {
  private readonly config: GcsConfig;
  private readonly secrets: SecretResolver;
  private readonly log: Logger;
  private readonly prefix: string;
  /** The client for the key currently in the Secret: rebuilt when the Secret rotates, retried when it was missing. */
  private client: { key: string | undefined; storage: Storage } | undefined;

  constructor(config: GcsConfig, secrets: SecretResolver, log: Logger) {
    this.config = config;
    this.secrets = secrets;
    this.log = log;
    this.prefix = prefixFolder(config.keyPrefix);
  }

  async get(key: string, options: TransferOptions = {}): Promise<Readable> {
    const name = this.objectName(key);
    return this.call(key, async (storage) => {
      const [metadata] = await this.bucket(storage).file(name).getMetadata();
      // Every read of this call is of this generation: a replaced object fails the read instead of splicing versions.
      const file = this.bucket(storage).file(name, { generation: metadata.generation });
      // Validation is ours (checkedBody below): the client's own cannot follow a resumed read. The
      // bytes as stored, never gunzipped on the way (an object someone stored with Content-Encoding:
      // gzip would otherwise fail its size and its MD5, which describe the stored bytes).
      // No Range for the first read: `bytes=0-` of an empty object is a 416 (on GCS too).
      const open = (start: number) =>
        sdkReadStream(file.createReadStream({ ...(start > 0 ? { start } : {}), validation: false, decompress: false }));
      if (Number(metadata.size) === 0) return Readable.from([]);
      const body = resumableRead(open(0), {
        length: Number(metadata.size),
        reopen: async (start) => open(start),
        maxRetries: this.config.maxRetries ?? MAX_RETRIES,
        signal: options.signal,
        mapError: (error) => gcsError(error, this.target(key)),
      });
      // The SHA-256 our Saves record, else GCS's MD5 (objects others wrote); composite objects have neither.
      const md5 = metadata.md5Hash
        ? ({ algorithm: "md5", value: metadata.md5Hash, encoding: "base64" } as const)
        : undefined;
      const digest = recordedSha256(metadata.metadata as Record<string, unknown> | undefined) ?? md5;
      if (!digest) return body;
      const where = `object '${key}' in bucket '${this.target(key).bucket}'`;
      return checkedBody(body, digest, (actual) => damagedObject(where, digest, actual), Number(metadata.size));
    });
  }

  async put(key: string, body: Readable, options: TransferOptions = {}): Promise<void> {
    const undo = destroyOnAbort(body, options.signal);
    try {
      const name = this.objectName(key);
      await this.call(key, async (storage) => {
        const file = this.bucket(storage).file(name);
        const sha256 = options.sha256 ? undefined : createHash("sha256"); // else hashed by the caller's worker
        const digest = async () => (sha256 ? sha256.digest("hex") : await options.sha256);
        const { first, rest } = await peek(body, CHUNK_BYTES);
        sha256?.update(first);
        options.signal?.throwIfAborted();
        if (!rest) {
          await saveSmall(storage, file, first, await digest(), options.signal);
          return;
        }
        // A resumable upload takes metadata when it starts, before the digest is known: it is added after.
        const upload = file.createWriteStream({ resumable: true, chunkSize: CHUNK_BYTES, validation: "md5" });
        await pipeline(Readable.from(concat(first, rest, sha256, options.sha256)), upload, { signal: options.signal });
        const recorded = await digest();
        if (recorded) await this.recordSha256(file, key, recorded);
      });
    } catch (error) {
      body.destroy();
      throw error;
    } finally {
      undo();
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const name = this.objectName(key);
    return this.call(key, async (storage) => {
      const [metadata] = await this.bucket(storage).file(name).getMetadata();
      return {
        key,
        size: Number(metadata.size ?? 0),
        modified: metadata.updated ? new Date(metadata.updated) : undefined,
        ...sha256Field(metadata.metadata as Record<string, unknown> | undefined),
      };
    });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const storage = await this.call(undefined, (s) => Promise.resolve(s));
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.call(undefined, () =>
        this.bucket(storage).getFiles({
          prefix: this.prefix + prefix,
          autoPaginate: false,
          maxResults: PAGE_SIZE,
          pageToken,
        }),
      );
      for (const file of files) {
        if (file.name.endsWith("/")) continue; // folder markers made by consoles and tools, as in Argo
        const { size, updated } = file.metadata;
        yield {
          key: file.name.slice(this.prefix.length),
          size: Number(size ?? 0),
          modified: updated ? new Date(updated) : undefined,
        };
      }
      pageToken = (next as { pageToken?: string } | null | undefined)?.pageToken;
    } while (pageToken);
  }

  async delete(key: string): Promise<void> {
    const name = this.objectName(key);
    await this.call(key, (storage) => this.bucket(storage).file(name).delete({ ignoreNotFound: true }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    return deleteListed(this.list(prefix), DELETE_CONCURRENCY, async (key) => {
      await this.call(key, (storage) =>
        this.bucket(storage)
          .file(this.prefix + key)
          .delete({ ignoreNotFound: true }),
      );
      return true;
    });
  }

  async dispose(): Promise<void> {}

  private async storage(): Promise<Storage> {
    const key = await currentKey(this.config, this.secrets);
    if (!this.client || this.client.key !== key)
      this.client = { key, storage: createStorage(this.config, key, this.config.maxRetries ?? MAX_RETRIES) };
    return this.client.storage;
  }

  private bucket(storage: Storage) {
    return storage.bucket(this.config.bucket);
  }

  private objectName(key: string): string {
    return storedName(this.prefix, key);
  }

  /** Records the upload's SHA-256 (digest.ts); without it the object still reads, checked by MD5: logged, not raised. */
  private async recordSha256(file: File, key: string, sha256: string): Promise<void> {
    const failure = await recordSha256(file, sha256);
    if (failure === undefined) return;
    const reason = gcsError(failure, this.target(key)).message;
    this.log.warn("gcs: could not record the SHA-256 of an upload; it reads checked by MD5", { key, reason });
  }

  private target(key?: string): GcsTarget {
    return { endpoint: this.config.endpoint ?? "storage.googleapis.com", bucket: this.config.bucket, key };
  }

  /** Runs `work` with the client, folding any failure into the plugin's errors. */
  private async call<T>(key: string | undefined, work: (storage: Storage) => Promise<T>): Promise<T> {
    try {
      return await work(await this.storage());
    } catch (error) {
      const folded = gcsError(error, this.target(key));
      // A 404 names no culprit on every server (emulators say only "Not Found"): ask whether the bucket is there.
      if (folded instanceof NotFoundError && !(await this.bucketExists())) throw missingBucket(this.target(key), error);
      throw folded;
    }
  }

  private async bucketExists(): Promise<boolean> {
    try {
      const [exists] = await this.bucket(await this.storage()).exists();
      return exists;
    } catch {
      return true; // cannot tell: keep the original answer
    }
  }
}

/**
 * One request for a body that fits in a chunk; the client checks the MD5 GCS
 * computed against the bytes it sent. `File.save` would retry it but takes
 * no abort signal, so the retries are ours, by the client's own rule of what
 * is transient.
 */
async function saveSmall(
  storage: Storage,
  file: File,
  data: Buffer,
  sha256: string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const metadata = { metadata: sha256 ? { [SHA256_METADATA_KEY]: sha256 } : {} };
  for (let attempt = 0; ; attempt++) {
    try {
      await pipeline(Readable.from([data]), file.createWriteStream({ resumable: false, validation: "md5", metadata }), {
        signal,
      });
      return;
    } catch (error) {
      const retryable = storage.retryOptions.retryableErrorFn?.(error as never) ?? false;
      if (signal?.aborted || !retryable || attempt >= storage.retryOptions.maxRetries!) throw error;
      await sleep(backoffMs(attempt), undefined, { signal });
    }
  }
}
