/**
 * `multistore cp`: copies artifacts from one store to another through the
 * two stores' drivers, object by object, each streamed from one driver's
 * `get` into the other's `put` (memory: the drivers' own buffers, whatever
 * the size).
 *
 * - Identical objects are skipped: the destination's object has the
 *   source's size and recorded SHA-256. So an interrupted copy is resumed by
 *   running it again: what arrived is skipped, the rest is copied (an object
 *   cut short is not visible, a put being atomic, and goes again whole).
 * - Every copy is verified on arrival: the source's read is checked against
 *   its digest by its driver, and the digest the destination's Save
 *   recorded from the bytes it received must be that same digest. An
 *   object with no recorded digest (written by Argo's own driver) is copied
 *   and checked by size only, and reported so.
 * - A damaged or vanished source object is reported and the others go on;
 *   anything else (a store unreachable, a refused write) ends the copy.
 */
import { pipeline, Transform } from "node:stream";
import { forEachConcurrently } from "./concurrency.ts";
import type { Driver, ObjectInfo } from "./driver.ts";
import { DataLossError, NotFoundError } from "./errors.ts";
import { directoryPrefix } from "./keys.ts";
import { clip } from "./text.ts";
import { artifactNotFound, resolveArtifact } from "./transfer.ts";

/** Objects copied at once. */
const CONCURRENCY = 4;
/** At most this often a `progress` event goes out. */
const PROGRESS_EVERY_MS = 250;

export type CopyEvent =
  | { state: "planned"; objects: number; bytes: number }
  | { state: "progress"; bytes: number }
  | { state: "copied" | "skipped" | "failed"; key: string; bytes: number; detail?: string };

export interface CopySummary {
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
}

/**
 * Copies the artifact `key` of `from` (an object, or the objects of the
 * directory `key/`), or with `all` every object whose key starts with
 * `key`, to the same keys in `to`. `report` gets a `planned` event first,
 * then one per object and `progress` between.
 */
export async function copyObjects(
  from: Driver,
  to: Driver,
  key: string,
  all: boolean,
  report: (event: CopyEvent) => Promise<void>,
  signal?: AbortSignal,
): Promise<CopySummary> {
  let single: ObjectInfo | undefined;
  let prefix = key;
  if (!all) {
    const artifact = await resolveArtifact(from, key, () => from.stat(key));
    if (artifact.kind === "object") single = artifact.object;
    else prefix = directoryPrefix(key);
  }
  const objects = () => (single ? [single] : from.list(prefix));
  // A first pass for the totals, so progress can say how far along it is; listing costs little beside copying.
  let plannedObjects = 0;
  let plannedBytes = 0;
  for await (const object of objects()) {
    signal?.throwIfAborted();
    plannedObjects++;
    plannedBytes += object.size;
  }
  if (plannedObjects === 0 && !all) throw artifactNotFound(key);
  await report({ state: "planned", objects: plannedObjects, bytes: plannedBytes });

  const summary: CopySummary = { copied: 0, skipped: 0, failed: 0, bytes: 0 };
  let moved = 0;
  let lastProgress = 0;
  const meter = () =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        moved += chunk.length;
        const now = Date.now();
        if (now - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = now;
          report({ state: "progress", bytes: moved }).then(() => callback(null, chunk), callback);
        } else callback(null, chunk);
      },
    });
  await forEachConcurrently(
    objects(),
    CONCURRENCY,
    async (object, taskSignal) => {
      const event = await copyOne(from, to, object, meter, taskSignal);
      summary[event.state]++;
      if (event.state === "copied") summary.bytes += event.bytes;
      await report(event);
    },
    signal,
  );
  return summary;
}

async function copyOne(
  from: Driver,
  to: Driver,
  listed: ObjectInfo,
  meter: () => Transform,
  signal: AbortSignal,
): Promise<Extract<CopyEvent, { key: string }>> {
  const { key } = listed;
  try {
    const source = listed.sha256 === undefined ? await from.stat(key) : listed;
    const present = await to.stat(key).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (source.sha256 && present?.sha256 === source.sha256 && present.size === source.size)
      return { state: "skipped", key, bytes: source.size };
    const metered = meter();
    // pipeline, not pipe: a failed read (DATA_LOSS) must fail the put, not leave it waiting for more.
    pipeline(await from.get(key, { signal }), metered, () => {});
    const body = metered;
    await to.put(key, body, { signal, size: source.size });
    const arrived = await to.stat(key);
    if (arrived.size !== source.size)
      return { state: "failed", key, bytes: 0, detail: `arrived as ${arrived.size} bytes of ${source.size}` };
    if (!source.sha256)
      return { state: "copied", key, bytes: source.size, detail: "the source recorded no digest: checked by size" };
    if (arrived.sha256 === undefined)
      return {
        state: "copied",
        key,
        bytes: source.size,
        detail: "the destination recorded no digest: checked by size",
      };
    if (arrived.sha256 !== source.sha256) {
      const recorded = arrived.sha256 ?? "none";
      return {
        state: "failed",
        key,
        bytes: 0,
        detail: `arrived with SHA-256 ${recorded}, the source's is ${source.sha256}`,
      };
    }
    return { state: "copied", key, bytes: source.size };
  } catch (error) {
    if (error instanceof DataLossError) return { state: "failed", key, bytes: 0, detail: clip(error.message, 300) };
    if (error instanceof NotFoundError)
      return { state: "failed", key, bytes: 0, detail: "deleted from the source meanwhile" };
    throw error;
  }
}
