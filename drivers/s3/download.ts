/**
 * GetObject as a stream that resumes a broken body with a ranged GET pinned
 * to the first response's ETag (drivers/resumable-read.ts): a replaced object
 * fails the read (412) instead of splicing two versions.
 */

import type { Readable } from "node:stream";
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from "@aws-sdk/client-s3";
import { checkedBody, damagedObject, recordedSha256, type StoredDigest } from "../content-check.ts";
import { resumableRead } from "../resumable-read.ts";
import { isMultipartEtag, taggedDigest } from "./digest.ts";

export interface DownloadOptions {
  maxRetries: number;
  signal?: AbortSignal;
  mapError: (error: unknown) => Error;
  /** The object, as a DATA_LOSS message names it. */
  where: string;
}

/**
 * Opens `input` for reading; resolves once the first response's headers have
 * arrived. An object our Save gave a SHA-256 (in its metadata, or for a
 * multipart upload in a tag: digest.ts) is checked against it; others
 * (Argo's own) read unchecked.
 */
export async function openDownload(
  client: S3Client,
  input: GetObjectCommandInput,
  options: DownloadOptions,
): Promise<Readable> {
  const first = await client.send(new GetObjectCommand(input), { abortSignal: options.signal });
  const etag = first.ETag;
  const body = resumableRead(first.Body as Readable, {
    ...options,
    length: etag ? first.ContentLength : undefined,
    reopen: async (offset, signal) => {
      const next = await client.send(new GetObjectCommand({ ...input, Range: `bytes=${offset}-`, IfMatch: etag }), {
        abortSignal: signal,
      });
      return next.Body as Readable;
    },
  });
  const digest = await recordedDigest(client, input, first, "GetObject", options.signal).catch((error: unknown) => {
    body.destroy();
    throw error;
  });
  if (!digest) return body;
  return checkedBody(body, digest, (actual) => damagedObject(options.where, digest, actual), first.ContentLength);
}

/**
 * The SHA-256 recorded for the object a GetObject or HeadObject answered
 * with, if any. A GetObject response counts the object's tags (S3 leaves
 * the header out when there are none), so a multipart object without tags
 * (Argo's own) costs no GetObjectTagging there; a HeadObject does not, so
 * `stat` asks.
 */
export async function recordedDigest(
  client: S3Client,
  input: { Bucket?: string; Key?: string },
  response: { Metadata?: Record<string, string>; ETag?: string; VersionId?: string; TagCount?: number },
  answered: "GetObject" | "HeadObject",
  signal?: AbortSignal,
): Promise<StoredDigest | undefined> {
  const inMetadata = recordedSha256(response.Metadata);
  const untagged = answered === "GetObject" && !response.TagCount;
  if (inMetadata || !isMultipartEtag(response.ETag) || untagged) return inMetadata;
  const object = { Bucket: input.Bucket ?? "", Key: input.Key ?? "", VersionId: response.VersionId };
  const value = await taggedDigest(client, { ...object, ETag: response.ETag as string }, signal);
  return value ? { algorithm: "sha256", value, encoding: "hex" } : undefined;
}
