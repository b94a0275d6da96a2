/**
 * The `local` backend: an erasure-coded object store over N directories
 * (normally N volumes), in the spirit of MinIO's erasure coding.
 *
 * Design note. Each object is cut into blocks of `blockSize` bytes; each
 * block into k data shards plus m Reed-Solomon parity shards (codec.ts), any
 * k of which rebuild the block. Drive d holds one shard of every block of an
 * object in a single file, `objects/<key>/@shard` (format.ts): a header
 * naming the object's version, size and layout, then per block the shard and
 * its HighwayHash-256 (bitrot.ts). Shard j sits on drive (j + hash(key)) mod N
 * (layout.ts), so parity spreads over the drives.
 *
 * Writes (writer.ts) stream block by block into temp files, fsync, then
 * rename into place under a per-key lock, and need a write quorum of drives
 * (k, or k+1 when m = k); otherwise nothing new becomes visible. Reads
 * (reader.ts, shards.ts) take the newest version that k drives agree on,
 * read k shards per block preferring data shards, check every hash, and
 * rebuild from parity around missing, short or corrupt shards; damage seen
 * while reading queues the object for healing. Healing (heal.ts) verifies
 * every shard and rewrites the bad ones; it also runs on a timer when
 * `healIntervalMinutes` is set, and on demand (`multistore heal`).
 * One drive with no parity (`drives: [/data]`) is the plain case: k=1, m=0.
 */
import { mkdir, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { HealingDriver, HealResult, HealSummary, ObjectInfo, TransferOptions } from "../../src/driver.ts";
import { DataLossError, NotFoundError, PermissionDeniedError, UnavailableError } from "../../src/errors.ts";
import type { LocalConfig } from "./config.ts";
import { foldFsError } from "./fs-errors.ts";
import { healAll, healObject, sweepTemps } from "./heal.ts";
import { DriveSet } from "./layout.ts";
import { listKeys } from "./listing.ts";
import { readObject } from "./reader.ts";
import { openObject } from "./shards.ts";
import { writeObject, writeQuorum } from "./writer.ts";

/**
 * Creates the driver for a validated `local` configuration. Nothing touches
 * the disk until the first call. Workflow authors write the configuration,
 * so an operator can confine drives to some folders: MULTISTORE_LOCAL_DRIVES
 * is a `:`-separated list of allowed roots (unset: any path).
 */
export function createLocalDriver(config: LocalConfig, allowedRoots = process.env["MULTISTORE_LOCAL_DRIVES"]): HealingDriver {
  const roots = (allowedRoots ?? "").split(":").filter(Boolean).map((root) => path.resolve(root));
  config.drives.forEach((drive, i) => {
    if (roots.length > 0 && !roots.some((root) => drive === root || drive.startsWith(`${root}/`))) {
      throw new PermissionDeniedError(`local.drives[${i}]: ${drive} is not under a folder this plugin allows (MULTISTORE_LOCAL_DRIVES)`);
    }
  });
  const drives = new DriveSet(config.drives);
  const layout = { dataShards: config.dataShards, parityShards: config.parityShards, blockSize: config.blockSize };
  let ready: Promise<void> | undefined;

  /**
   * Prepares every drive that exists (a missing mount is never replaced by a
   * folder in the container) and sweeps abandoned temp files. Fewer than k
   * drives present: nothing can be read or written.
   */
  const ensureReady = (): Promise<void> =>
    (ready ??= (async () => {
      const missing: string[] = [];
      await Promise.all(
        config.drives.map(async (drive, d) => {
          const info = await stat(drive).catch(() => undefined);
          if (!info?.isDirectory()) return void missing.push(drive);
          await mkdir(drives.objectsDir(d), { recursive: true }).catch(() => {});
          await mkdir(drives.tmpDir(d), { recursive: true }).catch(() => {});
        }),
      );
      if (config.drives.length - missing.length < config.dataShards) {
        ready = undefined; // try again on the next call: the volumes may be mounted by then
        const which = missing.length === 1 ? `local drive ${missing[0]} does not exist` : `local drives ${missing.join(", ")} do not exist`;
        throw new UnavailableError(`${which}: mount a volume there or create it (${config.dataShards} of ${config.drives.length} drives needed)`);
      }
      sweepTemps(drives).catch(() => {}); // best effort; never fails a call
    })());

  // Objects found damaged while reading are healed in the background, one at a time.
  const damaged = new Set<string>();
  let healing: Promise<void> | undefined;
  let disposed = false;
  const queueHeal = (key: string) => {
    if (disposed) return;
    damaged.add(key);
    healing ??= (async () => {
      for (const next of damaged) {
        damaged.delete(next);
        await healObject(drives, next).catch(() => {});
      }
      healing = undefined;
    })();
  };
  // A heal pass every healIntervalMinutes, re-armed only once the previous pass is done.
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (config.healIntervalMinutes <= 0 || disposed) return; // a pass ending after dispose does not re-arm
    timer = setTimeout(() => {
      void ensureReady()
        .then(() => healAll(drives))
        .catch(() => {})
        .finally(schedule);
    }, config.healIntervalMinutes * 60_000);
    timer.unref();
  };
  schedule();

  const driver: HealingDriver = {
    async get(key: string, options?: TransferOptions): Promise<Readable> {
      await ensureReady();
      return readObject(drives, key, (damagedKey) => queueHeal(damagedKey), options?.signal).catch((error: unknown) => {
        throw foldFsError(error, key);
      });
    },

    async put(key: string, body: Readable, options?: TransferOptions): Promise<void> {
      try {
        await ensureReady();
        drives.objectDir(0, key); // validates the key before reading the body
        await writeObject(drives, layout, key, body, options?.signal);
      } catch (error) {
        body.destroy(); // releases the source (an open file, a gRPC call) we will not read
        throw foldFsError(error, key);
      }
    },

    async stat(key: string): Promise<ObjectInfo> {
      await ensureReady();
      const object = await drives.locks.with(key, () => openObject(drives, key)).catch((error: unknown) => {
        throw foldFsError(error, key);
      });
      await object.close();
      return { key, size: object.header.size, modified: new Date(object.header.mtime) };
    },

    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      await ensureReady();
      for await (const { key, drives: present } of listKeys(drives, prefix, config.parityShards)) {
        if (present < config.dataShards) continue; // below read quorum: not an object
        try {
          yield await driver.stat(key);
        } catch (error) {
          // Unreadable (shards disagree) or leftovers of a delete: not an object.
          if (!(error instanceof DataLossError || error instanceof NotFoundError)) throw error;
        }
      }
    },

    /**
     * Removes every version of `key` from every drive. Like a write, a delete
     * needs a write quorum of drives to confirm it, or a drive that was away
     * could bring the object back; missing objects confirm at once.
     */
    async delete(key: string): Promise<void> {
      await ensureReady();
      const failures: string[] = [];
      await drives.locks.with(key, () =>
        Promise.all(
          config.drives.map(async (root, d) => {
            try {
              if (!(await stat(root)).isDirectory()) throw new Error("not a directory");
              await rm(drives.versionsDir(d, key), { recursive: true, force: true });
              await pruneEmptyParents(drives.objectsDir(d), drives.versionsDir(d, key));
            } catch (error) {
              failures.push(`drive ${d}: ${(error as Error).message}`);
            }
          }),
        ),
      );
      const confirmed = config.drives.length - failures.length;
      if (confirmed < writeQuorum(layout)) {
        throw new UnavailableError(`cannot delete '${key}': ${confirmed} of ${config.drives.length} drives confirmed, ${writeQuorum(layout)} needed (${failures.join("; ")})`);
      }
    },

    async deletePrefix(prefix: string): Promise<number> {
      await ensureReady();
      let deleted = 0;
      for await (const { key } of listKeys(drives, prefix, config.parityShards)) {
        await driver.delete(key);
        deleted++;
      }
      return deleted;
    },

    async heal(key: string): Promise<HealResult> {
      await ensureReady();
      return healObject(drives, key);
    },

    async healAll(): Promise<HealSummary> {
      await ensureReady();
      return healAll(drives);
    },

    async dispose(): Promise<void> {
      disposed = true;
      if (timer) clearTimeout(timer);
      await healing;
    },
  };
  return driver;
}

/** Removes now-empty folders from `file`'s parent up to (not including) `objectsDir`. */
async function pruneEmptyParents(objectsDir: string, file: string): Promise<void> {
  for (let dir = path.dirname(file); dir !== objectsDir && dir.startsWith(objectsDir); dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (another object lives here), already gone, or in use: stop
    }
  }
}

