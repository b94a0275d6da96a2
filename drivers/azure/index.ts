/**
 * The `azure` backend: Azure Blob Storage block blobs, laid out as Argo's
 * Azure driver lays them out (a directory artifact is one blob per file at
 * `key/<relative path>`), under `blobPrefix` when set.
 *
 * Uploads stage blocks and commit the block list last, so a failed or
 * cancelled upload never shows: uncommitted blocks are invisible and Azure
 * discards them. Downloads resume mid-body through the SDK's own ranged
 * retries.
 */

import type { Readable } from "node:stream";
import { DefaultAzureCredential } from "@azure/identity";
import {
  AnonymousCredential,
  type BlobDownloadResponseParsed,
  ContainerClient,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { KeyLocks, UntilFailure } from "../../src/concurrency.ts";
import type { Driver, DriverDeps, ObjectInfo, TransferOptions } from "../../src/driver.ts";
import { InvalidConfigError, UnavailableError } from "../../src/errors.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import { MiB } from "../../src/units.ts";
import { checkedBody, damagedObject, recordedSha256, sha256Field } from "../content-check.ts";
import { deleteListed, prefixFolder, storedName } from "../object-store.ts";
import { resumableRead } from "../resumable-read.ts";
import type { AzureConfig } from "./config.ts";
import { type AzureTarget, azureError } from "./errors.ts";
import { AZURE_SHA256_METADATA_KEY, uploadBlob } from "./upload.ts";

/** Block size and blocks in flight per upload: memory per upload is about their product plus one. */
export const BLOCK_BYTES = 8 * MiB;
const BLOCKS_IN_FLIGHT = 4;
/** Retries of transient failures (5xx, throttling, resets), and of a download broken mid-body. */
const MAX_RETRIES = 5;
/** Deletes of one prefix run this many at a time. */
const DELETE_CONCURRENCY = 16;

export function createAzureDriver(config: AzureConfig, deps: Pick<DriverDeps, "secrets">): Driver {
  return new AzureDriver(config, deps.secrets.forNamespace(config.secretsNamespace));
}

/**
 * Whether a Secret's value is a SAS token rather than an account key, by
 * Argo's rule: a SAS token is query parameters (`sv=...&sig=...`); an account
 * key is base64, which has no `&`.
 */
export function isSasToken(value: string): boolean {
  return /(\?|&)([^=]+)=([^&]+)/.test(value);
}

/** The storage account's name, as Argo finds it: the first path segment on an emulator, else the first host label. */
export function accountName(endpoint: URL): string {
  const host = endpoint.hostname;
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") {
    const name = endpoint.pathname.split("/").filter(Boolean)[0];
    if (!name)
      throw new InvalidConfigError(
        "azure.endpoint: an emulator endpoint must name the account, e.g. http://127.0.0.1:10000/devstoreaccount1",
      );
    return name;
  }
  return host.split(".")[0] ?? host;
}

class AzureDriver implements Driver {
  private readonly config: AzureConfig;
  private readonly secrets: SecretResolver;
  private readonly prefix: string;
  private readonly containerUrl: string;
  /** The client for the credential currently in the Secret (rebuilt when the Secret rotates). */
  private client: { secret: string | undefined; container: ContainerClient } | undefined;
  /** The container made sure of once (createContainerIfNotPresent); tried again on the next write after a failure. */
  private readonly containerReady = new UntilFailure((container: ContainerClient) =>
    // Ask first: a SAS scoped to the container may not create one, even one that exists.
    container.exists().then((exists) => (exists ? undefined : container.createIfNotExists())),
  );
  /**
   * Committing a block list discards every uncommitted block of that blob,
   * including those another upload of the same name has staged, which then
   * fails its commit. Uploads of one name from this process therefore take
   * turns; one from another process that loses the race fails retryably.
   */
  private readonly writes = new KeyLocks();

  constructor(config: AzureConfig, secrets: SecretResolver) {
    this.config = config;
    this.secrets = secrets;
    this.prefix = prefixFolder(config.blobPrefix);
    const endpoint = new URL(config.endpoint);
    endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, "")}/${config.container}`;
    this.containerUrl = endpoint.toString();
  }

  async get(key: string, options: TransferOptions = {}): Promise<Readable> {
    const name = this.blobName(key);
    return this.call(key, async (container) => {
      const blob = container.getBlobClient(name);
      const bodyOf = (response: BlobDownloadResponseParsed): Readable => {
        if (!response.readableStreamBody) throw new UnavailableError("the store answered the download without a body");
        return response.readableStreamBody as Readable;
      };
      // maxRetryRequests 0: the SDK's own resume would attach a new source even after we gave up the stream.
      const first = await blob.download(0, undefined, { abortSignal: options.signal, maxRetryRequests: 0 });
      // The SDK's own mid-body retry takes a server-side drop for a cancel; ours resumes, pinned to the ETag.
      const body = resumableRead(bodyOf(first), {
        length: first.etag ? first.contentLength : undefined,
        reopen: async (offset, signal) =>
          bodyOf(
            await blob.download(offset, undefined, {
              abortSignal: signal,
              maxRetryRequests: 0,
              conditions: { ifMatch: first.etag },
            }),
          ),
        maxRetries: MAX_RETRIES,
        signal: options.signal,
        mapError: (error) => azureError(error, this.target(key)),
      });
      // The SHA-256 our Saves record, else a Content-MD5 the writer set (whole-blob, on every response).
      const md5 = first.blobContentMD5 ?? first.contentMD5;
      const digest =
        recordedSha256(first.metadata, AZURE_SHA256_METADATA_KEY) ??
        (md5
          ? ({ algorithm: "md5", value: Buffer.from(md5).toString("base64"), encoding: "base64" } as const)
          : undefined);
      if (!digest) return body;
      const where = `blob '${key}' in container '${this.target(key).container}'`;
      return checkedBody(body, digest, (actual) => damagedObject(where, digest, actual), first.contentLength);
    });
  }

  async put(key: string, body: Readable, options: TransferOptions = {}): Promise<void> {
    try {
      const name = this.blobName(key);
      await this.writes.with(name, () =>
        this.call(key, async (container) => {
          await this.ensureContainer(container);
          const upload = {
            blockBytes: BLOCK_BYTES,
            blocksInFlight: BLOCKS_IN_FLIGHT,
            signal: options.signal,
            sha256: options.sha256,
          };
          await uploadBlob(container.getBlockBlobClient(name), body, upload);
        }),
      );
    } catch (error) {
      body.destroy();
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectInfo> {
    const name = this.blobName(key);
    return this.call(key, async (container) => {
      const properties = await container.getBlobClient(name).getProperties();
      const sha256 = sha256Field(properties.metadata, AZURE_SHA256_METADATA_KEY);
      return { key, size: properties.contentLength ?? 0, modified: properties.lastModified, ...sha256 };
    });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const container = await this.call(undefined, (c) => Promise.resolve(c)); // fails here on bad credentials
    const pages = container
      .listBlobsFlat({ prefix: this.prefix + prefix, includeMetadata: true })
      .byPage({ maxPageSize: 5000 });
    for (;;) {
      const page = await this.call(undefined, () => pages.next());
      if (page.done) return;
      for (const blob of page.value.segment.blobItems) {
        // Folder markers: `dir/` names, and ADLS Gen2 (hierarchical namespace) directories.
        if (blob.name.endsWith("/") || blob.metadata?.["hdi_isfolder"] === "true") continue;
        yield {
          key: blob.name.slice(this.prefix.length),
          size: blob.properties.contentLength ?? 0,
          modified: blob.properties.lastModified,
        };
      }
    }
  }

  async delete(key: string): Promise<void> {
    const name = this.blobName(key);
    await this.call(key, (container) => container.getBlobClient(name).deleteIfExists({ deleteSnapshots: "include" }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    return deleteListed(this.list(prefix), DELETE_CONCURRENCY, async (key) => {
      const result = await this.call(key, (c) =>
        c.getBlobClient(this.prefix + key).deleteIfExists({ deleteSnapshots: "include" }),
      );
      return result.succeeded;
    });
  }

  async dispose(): Promise<void> {
    this.client = undefined;
  }

  /** Creates the container on first write when `createContainerIfNotPresent` is set; concurrent creators are fine. */
  private ensureContainer(container: ContainerClient): Promise<unknown> {
    return this.config.createContainerIfNotPresent ? this.containerReady.get(container) : Promise.resolve();
  }

  private blobName(key: string): string {
    return storedName(this.prefix, key);
  }

  /** The container client for the current credentials: the Secret is re-read when the resolver's cache expires. */
  private async container(): Promise<ContainerClient> {
    const secret =
      this.config.accountKeySecret && !this.config.useSDKCreds
        ? (await this.secrets.resolve(this.config.accountKeySecret, "azure.accountKeySecret")).trim()
        : undefined;
    if (this.client && this.client.secret === secret) return this.client.container;
    const options: StoragePipelineOptions = {
      retryOptions: { maxTries: MAX_RETRIES + 1, retryDelayInMs: 500, maxRetryDelayInMs: 20_000 },
      keepAliveOptions: { enable: true },
    };
    let container: ContainerClient;
    if (secret === undefined) {
      container = new ContainerClient(this.containerUrl, new DefaultAzureCredential(), options);
    } else if (isSasToken(secret)) {
      container = new ContainerClient(
        `${this.containerUrl}?${secret.replace(/^\?/, "")}`,
        new AnonymousCredential(),
        options,
      );
    } else {
      const credential = new StorageSharedKeyCredential(accountName(new URL(this.config.endpoint)), secret);
      container = new ContainerClient(this.containerUrl, credential, options);
    }
    this.client = { secret, container };
    return container;
  }

  /** Runs `work` with the container client, folding any failure into the plugin's errors. */
  private async call<T>(key: string | undefined, work: (container: ContainerClient) => Promise<T>): Promise<T> {
    try {
      return await work(await this.container());
    } catch (error) {
      throw azureError(error, this.target(key));
    }
  }

  private target(key?: string): AzureTarget {
    return { endpoint: new URL(this.config.endpoint).host, container: this.config.container, key };
  }
}
