/**
 * Object keys, normalised once at the edge of the service, before any driver
 * sees them. A key is a `/`-separated relative path: `a//b/./c/` becomes
 * `a/b/c`; empty keys, absolute paths, `..` segments and NUL bytes are refused.
 * The same check guards every relative path we derive from storage (directory
 * entries listed from a bucket that someone else may have written to).
 */
import { InvalidKeyError } from "./errors.ts";
import { clip } from "./text.ts";

/** S3's limit, and a sane one for every backend. */
export const MAX_KEY_BYTES = 1024;

/** Returns the canonical form of `raw`, or throws InvalidKeyError saying what is wrong. */
export function normaliseKey(raw: string, what = "key"): string {
  if (raw.length === 0) throw new InvalidKeyError(`${what} is empty`);
  if (raw.includes("\0")) throw new InvalidKeyError(`${what} ${JSON.stringify(clip(raw))} contains a NUL byte`);
  if (raw.startsWith("/")) {
    throw new InvalidKeyError(
      `${what} ${JSON.stringify(clip(raw))} is absolute: keys are relative paths inside the store`,
    );
  }
  const segments: string[] = [];
  for (const segment of raw.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") throw new InvalidKeyError(`${what} ${JSON.stringify(clip(raw))} has a '..' segment`);
    segments.push(segment);
  }
  if (segments.length === 0) throw new InvalidKeyError(`${what} ${JSON.stringify(clip(raw))} names no object`);
  const key = segments.join("/");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new InvalidKeyError(`${what} is longer than ${MAX_KEY_BYTES} bytes`);
  }
  return key;
}

/** The listing prefix of a directory artifact: every object under `key/`, never the sibling `keyX`. */
export function directoryPrefix(key: string): string {
  return `${key}/`;
}

/** The key of `relativePath` (a `/`-separated path) inside the directory `key`. */
export function childKey(key: string, relativePath: string): string {
  return `${key}/${normaliseKey(relativePath, "relative path")}`;
}

/**
 * The path of `objectKey` relative to the directory `key`, validated as safe
 * to create under a local folder (no `..`, not absolute).
 */
export function relativeToDirectory(key: string, objectKey: string): string {
  const prefix = directoryPrefix(key);
  if (!objectKey.startsWith(prefix)) {
    throw new InvalidKeyError(`object ${JSON.stringify(clip(objectKey))} is not inside ${JSON.stringify(prefix)}`);
  }
  return normaliseKey(objectKey.slice(prefix.length), "object key");
}
