/**
 * The artifact store as a cache: a Save of a file that the store already
 * holds, byte for byte, under the same key uploads nothing. Re-runs,
 * retries and memoised steps often produce exactly what they produced
 * before.
 *
 * "Byte for byte" is decided by the SHA-256 every Save records with its
 * object: the stored object must have one, of the same size as the file,
 * equal to the file's. The file is hashed off the event loop, while it
 * uploads when the sizes differ, and first when they match (the upload then
 * records that digest instead of hashing again), so a file of another size
 * or a new key costs one stat more than before. An object with no recorded
 * digest (written by Argo's own driver) is always uploaded again.
 *
 * A concurrent Save of other bytes to the same key may land between the
 * check and the skip: the outcome is the same as if it had landed just
 * after this Save, as without the check. One promise it weakens: a folder
 * Save on a store that stages (the local store) publishes all its files at
 * once, and the last commit wins whole; a file it skipped is not part of
 * that commit, so two concurrent Saves of one folder can end as a mix.
 */
import type { Driver } from "./driver.ts";
import { NotFoundError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { SourceFile } from "./save-source.ts";
import { clip } from "./text.ts";

/** A directory's listing is kept for at most this many objects, and key characters; past it, files are looked up one by one. */
const MAX_LISTED = 10_000;
const MAX_LISTED_KEY_CHARS = 4 * 1024 * 1024;

/** What the check needs of a stored object. */
export interface StoredObject {
  size: number;
  sha256?: string;
}

/** What is stored under the keys a Save is about to write, looked up once per file. */
export interface StoredObjects {
  /**
   * The stored object `key`, with its digest if it is of `size` bytes;
   * undefined if there is none or it cannot be known (a refused or failed
   * stat: the file is then sent, as it would be without the check).
   */
  lookup(key: string, size: number): Promise<StoredObject | undefined>;
}

/** Looks up each key with its own stat: a single-file Save. */
export function storedByStat(driver: Driver, log?: Logger): StoredObjects {
  let warned = false;
  return {
    lookup: (key) =>
      driver.stat(key).catch((error: unknown) => {
        if (!(error instanceof NotFoundError) && !warned) {
          warned = true; // once per Save: a policy without HeadObject would say it for every file
          log?.warn("cannot tell whether the stored object is unchanged; sending the file", {
            key: clip(key),
            error: (error as Error).message,
          });
        }
        return undefined;
      }),
  };
}

/**
 * What is under `prefix`, from one listing (a request per thousand objects
 * on the object stores, rather than one per file): a file with no stored
 * object of its size is known changed without asking again. A listing does
 * not carry digests on every store (S3's does not), so an object of the
 * right size is asked for its digest with a stat. A listing that fails (no
 * list permission) or is too long leaves every file to its own stat.
 */
export async function storedUnder(
  driver: Driver,
  prefix: string,
  signal?: AbortSignal,
  log?: Logger,
): Promise<StoredObjects> {
  const listed = new Map<string, StoredObject>();
  let complete = true;
  let keyChars = 0;
  try {
    for await (const object of driver.list(prefix)) {
      signal?.throwIfAborted();
      keyChars += object.key.length;
      if (listed.size >= MAX_LISTED || keyChars > MAX_LISTED_KEY_CHARS) {
        complete = false;
        break;
      }
      listed.set(object.key, object.sha256 ? { size: object.size, sha256: object.sha256 } : { size: object.size });
    }
  } catch (error) {
    signal?.throwIfAborted();
    log?.warn("cannot list the stored directory; looking its files up one by one", {
      key: clip(prefix),
      error: (error as Error).message,
    });
    listed.clear();
    complete = false;
  }
  const byStat = storedByStat(driver, log);
  return {
    lookup: async (key, size) => {
      const object = listed.get(key);
      if (!object) return complete ? undefined : byStat.lookup(key, size);
      return object.sha256 !== undefined || object.size !== size ? object : byStat.lookup(key, size);
    },
  };
}

/**
 * Puts `file` as `key`, unless `stored` (given when skipping is on) shows
 * the store holds exactly its bytes already; resolves true if it was sent.
 * Either way the file's SHA-256 is hashed once, by a worker
 * (src/file-digest.ts), and a put records that digest rather than hashing
 * the bytes again on the event loop. The hash is stopped and settled before
 * this returns: the worker reads the file's descriptor, which the caller
 * then closes.
 */
export async function putUnlessUnchanged(
  target: Pick<Driver, "put">,
  key: string,
  file: SourceFile,
  stored: StoredObjects | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  const hashing = new AbortController();
  const sha256 = file.sha256(signal ? AbortSignal.any([signal, hashing.signal]) : hashing.signal);
  sha256.catch(() => {}); // awaited below; a put that fails first must not leave it unhandled
  try {
    if (stored) {
      const object = await stored.lookup(key, file.size);
      if (object?.sha256 && object.size === file.size && (await sha256) === object.sha256) return false;
    }
    // The digest the put records is the worker's, checked once the upload has read the file (sentSha256).
    const sent = file.sentSha256();
    sent.catch(() => {}); // awaited by the put; one that fails first must not leave it unhandled
    await target.put(key, file.stream(), { signal, size: file.size, sha256: sent });
    return true;
  } finally {
    hashing.abort();
    await sha256.catch(() => {});
  }
}
