/**
 * Where an S3 object keeps the SHA-256 its Save recorded.
 *
 * A one-part upload carries it as user metadata in its PutObject. A
 * multipart upload cannot: metadata is fixed when the upload is created,
 * before the digest is known, and changing it later means copying the whole
 * object. S3's own checksums do not help either: SHA-256 is only kept per
 * part (COMPOSITE), never for the full object, and stores other than AWS
 * keep none. So a multipart object gets an object tag, which can be set
 * after Complete without touching the data: `multistore-sha256` =
 * `<sha256>@<ETag>`. The ETag binds the tag to the object it was computed
 * for: a tag left on an object that was since replaced (or one copied with
 * its tags) no longer matches that object's ETag, and is ignored.
 *
 * Setting and reading tags needs s3:PutObjectTagging and s3:GetObjectTagging.
 * Without them the object is stored and read as before, unverified.
 */
import { GetObjectTaggingCommand, PutObjectTaggingCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "../../src/log.ts";

/** The tag a multipart object's digest is kept in. */
export const SHA256_TAG = "multistore-sha256";
/** Time allowed to tag an uploaded object: the upload itself is done, so this must not hold the Save long. */
const TAG_TIMEOUT_MS = 30_000;

export interface TaggedObject {
  Bucket: string;
  Key: string;
  /** The version Complete made, on a versioned bucket: the tag goes on it and on no later one. */
  VersionId?: string;
  /** The object's ETag as S3 returned it (quoted). */
  ETag: string;
}

/** True when an ETag is that of a multipart upload (`"<md5 of md5s>-<parts>"`), whose digest is in a tag. */
export function isMultipartEtag(etag: string | undefined): boolean {
  return etag !== undefined && /-\d+"?$/.test(etag);
}

/**
 * Records `sha256` on the object Complete just made. A failure (no tagging
 * permission, a store without tagging) is logged, not raised: the object
 * is stored, and reads it unverified.
 */
export async function tagDigest(client: S3Client, object: TaggedObject, sha256: string, log: Logger): Promise<void> {
  const value = `${sha256}@${unquoted(object.ETag)}`;
  try {
    await client.send(
      new PutObjectTaggingCommand({
        Bucket: object.Bucket,
        Key: object.Key,
        VersionId: object.VersionId,
        Tagging: { TagSet: [{ Key: SHA256_TAG, Value: value }] },
      }),
      { abortSignal: AbortSignal.timeout(TAG_TIMEOUT_MS) },
    );
  } catch (error) {
    log.warn("could not tag the object with its SHA-256; it will read unverified", {
      bucket: object.Bucket,
      key: object.Key,
      error: (error as Error).name,
    });
  }
}

/**
 * The SHA-256 a multipart object's tag records for it, or undefined: no
 * tag, a tag made for another ETag, or no permission to read tags (the
 * object then reads unverified, as Argo's own objects do).
 */
export async function taggedDigest(
  client: S3Client,
  object: TaggedObject,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const result = await client
    .send(new GetObjectTaggingCommand({ Bucket: object.Bucket, Key: object.Key, VersionId: object.VersionId }), {
      abortSignal: signal,
    })
    .catch((error: unknown) => {
      if (signal?.aborted) throw error;
      return undefined;
    });
  const value = result?.TagSet?.find((tag) => tag.Key === SHA256_TAG)?.Value;
  const match = value ? /^([0-9a-f]{64})@(.+)$/.exec(value) : null;
  return match && match[2] === unquoted(object.ETag) ? match[1] : undefined;
}

function unquoted(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}
