/**
 * The artifact store as a cache: a Save of a file that the store already
 * holds, byte for byte, under the same key uploads nothing. Re-runs,
 * retries and memoised steps often produce exactly what they produced
 * before.
 *
 * "Byte for byte" is decided by the SHA-256 every Save records with its
 * object: the stored object must have one, of the same size as the file,
 * equal to the file's. Only then is the file hashed (off the event loop),
 * so a file of another size, or a key with nothing stored, costs one stat
 * and no hashing. An object with no recorded digest (written by Argo's own
 * driver) is always uploaded again.
 *
 * A concurrent Save of other bytes to the same key may land between the
 * check and the skip: the outcome is the same as if it had landed just
 * after this Save, as without the check.
 */
import type { Driver, ObjectInfo } from "./driver.ts";
import { NotFoundError } from "./errors.ts";
import type { SourceFile } from "./save-source.ts";

/** Entries a directory's listing is kept for at most; past it, files are looked up one by one. */
const MAX_LISTED = 100_000;

/** What is stored under the keys a Save is about to write, looked up once per file. */
export interface StoredObjects {
  /** The stored object `key`, with its digest if it is of `size` bytes; undefined if there is none. */
  lookup(key: string, size: number): Promise<ObjectInfo | undefined>;
}

/** Looks up each key with its own stat: a single-file Save. */
export function storedByStat(driver: Driver): StoredObjects {
  return {
    lookup: (key) =>
      driver.stat(key).catch((error: unknown) => {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }),
  };
}

/**
 * What is under `prefix`, from one listing (a request per thousand objects
 * on the object stores, rather than one per file): a file with no stored
 * object of its size is known changed without asking again. A listing does
 * not carry digests on every store (S3's does not), so an object of the
 * right size is asked for its digest with a stat.
 */
export async function storedUnder(driver: Driver, prefix: string, signal?: AbortSignal): Promise<StoredObjects> {
  const listed = new Map<string, ObjectInfo>();
  let complete = true;
  for await (const object of driver.list(prefix)) {
    signal?.throwIfAborted();
    if (listed.size >= MAX_LISTED) {
      complete = false;
      break;
    }
    listed.set(object.key, object);
  }
  const byStat = storedByStat(driver);
  return {
    lookup: async (key, size) => {
      const object = listed.get(key);
      if (!object) return complete ? undefined : byStat.lookup(key, size);
      return object.sha256 !== undefined || object.size !== size ? object : byStat.lookup(key, size);
    },
  };
}

/** True when `stored` holds exactly the bytes of `file` (see above); hashes the file only if it may. */
export async function isUnchanged(
  stored: StoredObjects,
  key: string,
  file: SourceFile,
  signal?: AbortSignal,
): Promise<boolean> {
  const object = await stored.lookup(key, file.size);
  if (!object?.sha256 || object.size !== file.size) return false;
  return (await file.sha256(signal)) === object.sha256;
}
