/**
 * GetObject as a stream that resumes a broken body with a ranged GET pinned
 * to the first response's ETag (drivers/resumable-read.ts): a replaced object
 * fails the read (412) instead of splicing two versions.
 */

import type { Readable } from "node:stream";
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from "@aws-sdk/client-s3";
import { resumableRead } from "../resumable-read.ts";

export interface DownloadOptions {
  maxRetries: number;
  signal?: AbortSignal;
  mapError: (error: unknown) => Error;
}

/** Opens `input` for reading; resolves once the first response's headers have arrived. */
export async function openDownload(
  client: S3Client,
  input: GetObjectCommandInput,
  options: DownloadOptions,
): Promise<Readable> {
  const first = await client.send(new GetObjectCommand(input), { abortSignal: options.signal });
  const etag = first.ETag;
  return resumableRead(first.Body as Readable, {
    ...options,
    length: etag ? first.ContentLength : undefined,
    reopen: async (offset, signal) => {
      const next = await client.send(new GetObjectCommand({ ...input, Range: `bytes=${offset}-`, IfMatch: etag }), {
        abortSignal: signal,
      });
      return next.Body as Readable;
    },
  });
}
