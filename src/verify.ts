/**
 * `multistore verify`: reads stored objects whole, through their driver,
 * which checks every byte against the SHA-256 the object's Save recorded
 * (the object stores: drivers/content-check.ts; the local store: its block
 * hashes and content digest) and fails the read with DATA_LOSS on a
 * mismatch. Nothing is written; the bytes are dropped as they arrive.
 */
import type { Readable } from "node:stream";
import { forEachConcurrently } from "./concurrency.ts";
import { type Driver, type ObjectInfo, recyclerOf } from "./driver.ts";
import { DataLossError, NotFoundError } from "./errors.ts";
import { directoryPrefix } from "./keys.ts";
import { artifactNotFound, resolveArtifact } from "./transfer.ts";

/** Objects read at once: enough to hide per-object latency on an object store. */
const CONCURRENCY = 4;

export interface Verified {
  key: string;
  /** `verified`: matched its digest; `unverified`: read whole, none recorded; `damaged`; `gone`: deleted meanwhile. */
  state: "verified" | "unverified" | "damaged" | "gone";
  size: number;
  detail?: string;
}

/**
 * Verifies the artifact `key` (an object, or every object of the directory
 * `key/`), or with `all` every object whose key starts with `key`, and
 * reports each as it is done. A damaged or vanished object is reported and
 * the others go on; any other failure (the store unreachable) ends the call.
 */
export async function verifyObjects(
  driver: Driver,
  key: string,
  all: boolean,
  report: (result: Verified) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let objects: AsyncIterable<ObjectInfo> | ObjectInfo[];
  if (all) objects = driver.list(key);
  else {
    const artifact = await resolveArtifact(driver, key, () => driver.stat(key));
    objects = artifact.kind === "object" ? [artifact.object] : driver.list(directoryPrefix(key));
  }
  let seen = 0;
  await forEachConcurrently(
    objects,
    CONCURRENCY,
    async (object, taskSignal) => {
      seen++;
      await report(await verifyOne(driver, object, taskSignal));
    },
    signal,
  );
  if (seen === 0 && !all) throw artifactNotFound(key); // its objects were deleted since it was resolved
}

async function verifyOne(driver: Driver, listed: ObjectInfo, signal: AbortSignal): Promise<Verified> {
  const { key } = listed;
  try {
    // A listing does not carry digests on every store: stat says whether one was recorded.
    const info = listed.sha256 === undefined ? await driver.stat(key) : listed;
    const size = await drain(await driver.get(key, { signal }));
    if (size !== info.size)
      return { key, state: "damaged", size, detail: `read ${size} bytes; the store lists ${info.size}` };
    return { key, state: info.sha256 ? "verified" : "unverified", size };
  } catch (error) {
    if (error instanceof DataLossError) return { key, state: "damaged", size: listed.size, detail: error.message };
    if (error instanceof NotFoundError) return { key, state: "gone", size: listed.size };
    throw error;
  }
}

/** Reads `stream` to its end, giving each chunk back to it; resolves with the bytes read. */
async function drain(stream: Readable): Promise<number> {
  const recycle = recyclerOf(stream);
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    recycle?.(chunk);
  }
  return bytes;
}
