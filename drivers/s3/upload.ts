/**
 * Streaming upload of one object: a body shorter than one part goes up as a
 * single PutObject, anything longer as a multipart upload with up to
 * `queueSize` parts in flight, so memory stays at (queueSize + 2) part
 * buffers whatever the object's size.
 *
 * Written here rather than with @aws-sdk/lib-storage, whose `Upload` breaks
 * two promises the driver makes: when cancelled it rejects at once while
 * part uploads (sent without an abort signal) still run and a single
 * PutObject in flight can still publish the object; and it aborts the
 * multipart upload after `done()` has already rejected, so a caller cannot
 * know when nothing is left behind. Here every request carries the abort
 * signal, and a failed or cancelled upload has been aborted on the server
 * before the call rejects.
 */

import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { InvalidConfigError, UnavailableError } from "../../src/errors.ts";
import type { Logger } from "../../src/log.ts";
import { MiB } from "../../src/units.ts";
import { PartBuffers, readParts } from "../body-parts.ts";
import { SHA256_METADATA_KEY } from "../content-check.ts";
import { destroyOnAbort } from "../object-store.ts";
import { tagDigest } from "./digest.ts";
import type { WriteEncryption } from "./sse.ts";

/** S3's limits on multipart uploads. */
export const MAX_PARTS = 10_000;
export const MIN_PART_BYTES = 5 * MiB;
/** Time allowed to abort a multipart upload after a failure, when the call's own signal has fired. */
const CLEANUP_TIMEOUT_MS = 30_000;

export interface UploadTarget {
  Bucket: string;
  Key: string;
  encryption: WriteEncryption;
}

export interface UploadOptions {
  partSize: number;
  queueSize: number;
  /** Adds CRC32 flexible checksums to every part (requestChecksumCalculation: WHEN_SUPPORTED). */
  checksums: boolean;
  signal?: AbortSignal;
  /** The body's SHA-256, hashed elsewhere (TransferOptions.sha256): the body is then not hashed here. */
  sha256?: Promise<string | undefined>;
  /** Where a digest that could not be recorded is reported. */
  log: Logger;
}

/**
 * The part size for an object of `size` bytes (when known): at least
 * `configured`, and large enough that the object fits in 10,000 parts.
 */
export function partSizeFor(configured: number, size?: number): number {
  if (size === undefined) return configured;
  const needed = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return Math.max(configured, needed);
}

export async function uploadObject(
  client: S3Client,
  target: UploadTarget,
  body: Readable,
  options: UploadOptions,
): Promise<void> {
  const { Bucket, Key, encryption } = target;
  const controller = new AbortController(); // fired by the first failed part: stops the others
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  destroyOnAbort(body, signal); // a failed part aborts `signal` too; never undone, a finished body ignores it
  const buffers = new PartBuffers(options.partSize);
  const parts = readParts(body, buffers, options.partSize, !options.sha256);

  const first = await parts.next();
  signal.throwIfAborted();
  const firstPart = first.value;
  if (first.done || firstPart === undefined || firstPart.last) {
    const data = firstPart?.data ?? Buffer.alloc(0);
    // The whole body is in hand, and so is its SHA-256: it goes in with it.
    const sha256 = options.sha256 ? await options.sha256 : firstPart?.sha256;
    const Metadata = sha256 ? { [SHA256_METADATA_KEY]: sha256 } : undefined;
    const put = { Bucket, Key, Body: data, ContentLength: data.length, Metadata, ...encryption };
    await client.send(new PutObjectCommand(put), { abortSignal: signal });
    return;
  }

  const created = await client.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key,
      ...encryption,
      ChecksumAlgorithm: options.checksums ? "CRC32" : undefined,
    }),
    { abortSignal: signal },
  );
  const UploadId = created.UploadId;
  if (!UploadId) throw new UnavailableError("the store answered CreateMultipartUpload without an UploadId");
  const completed: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const sendPart = (PartNumber: number, data: Buffer) => {
    const task = client
      .send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber,
          Body: data,
          ContentLength: data.length,
          SSECustomerAlgorithm: encryption.SSECustomerAlgorithm,
          SSECustomerKey: encryption.SSECustomerKey,
          ChecksumAlgorithm: options.checksums ? "CRC32" : undefined,
        }),
        { abortSignal: signal },
      )
      .then((result) => {
        if (!result.ETag) throw new UnavailableError(`the store answered UploadPart ${PartNumber} without an ETag`);
        completed.push({ PartNumber, ETag: result.ETag, ChecksumCRC32: result.ChecksumCRC32 });
      })
      .catch((error: unknown) => {
        failure ??= { error };
        controller.abort(error); // stop the other parts and the reading at once
      })
      .finally(() => {
        inFlight.delete(task);
        buffers.give(data);
      });
    inFlight.add(task);
  };

  let sha256: string | undefined;
  let completedAs: { ETag?: string; VersionId?: string } | undefined;
  try {
    let partNumber = 1;
    sendPart(partNumber, firstPart.data);
    for await (const part of parts) {
      if (failure) break;
      signal.throwIfAborted();
      if (++partNumber > MAX_PARTS) {
        throw new InvalidConfigError(
          `s3.partSize: the object is larger than ${MAX_PARTS} parts of ${options.partSize / MiB} MiB; raise it`,
        );
      }
      sendPart(partNumber, part.data);
      sha256 = part.sha256;
      while (inFlight.size >= options.queueSize) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    if (options.sha256) sha256 = await options.sha256; // before Complete: a failed hash stores nothing
    signal.throwIfAborted(); // the last moment a cancel can still leave nothing behind
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    completedAs = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: completed },
        ...readHeaders(encryption),
      }),
      {
        abortSignal: signal,
      },
    );
  } catch (error) {
    failure ??= { error }; // before aborting: the parts cut short by it must not take the blame
    controller.abort(error);
    await Promise.allSettled(inFlight);
    await client
      .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }), {
        abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
      })
      .catch(() => {}); // the store's lifecycle rule for incomplete uploads is the backstop
    throw failure.error;
  }
  // Stored: from here on nothing may fail the Save. The digest goes in a tag (digest.ts says why).
  if (sha256 && completedAs?.ETag) {
    await tagDigest(
      client,
      { Bucket, Key, VersionId: completedAs.VersionId, ETag: completedAs.ETag },
      sha256,
      options.log,
    );
  }
}

function readHeaders(encryption: WriteEncryption) {
  return { SSECustomerAlgorithm: encryption.SSECustomerAlgorithm, SSECustomerKey: encryption.SSECustomerKey };
}
