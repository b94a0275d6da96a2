/**
 * Healing, as MinIO heals an object: find the version with a read quorum,
 * read and verify every shard of every block, rebuild the missing or corrupt
 * shards from k good ones into temp files, and rename them into place,
 * provided the object was not rewritten meanwhile; then remove files of older
 * versions and of unfinished writes. Also removes temp files of writers that died.
 */
import { constants } from "node:fs";
import { lstat, mkdir, open, readdir, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { HealResult, HealSummary } from "../../src/driver.ts";
import { DataLossError, NotFoundError } from "../../src/errors.ts";
import { bitrotHash, HASH_BYTES } from "./bitrot.ts";
import { encodeHeader, HEADER_BYTES } from "./format.ts";
import { TEMP_OWNER, TEMP_PREFIX, type DriveSet } from "./layout.ts";
import { listKeys } from "./listing.ts";
import { openObject, StripeReader, type OpenObject } from "./shards.ts";
import { publish, removeOlderVersions } from "./writer.ts";

/** Files older than this are removed whoever wrote them: no write stays silent so long. */
const ABANDONED_MS = 60 * 60 * 1000;

interface RebuildTarget {
  index: number;
  drive: number;
  temp: string;
  handle?: FileHandle;
  failed?: boolean;
}

export async function healObject(drives: DriveSet, key: string): Promise<HealResult> {
  let object: OpenObject;
  try {
    object = await drives.locks.with(key, () => openObject(drives, key));
  } catch (error) {
    // Leftovers of a delete made while drives were away are reported, not removed: an
    // unmounted volume also looks empty, and purging on that evidence could destroy data.
    if (error instanceof NotFoundError) return { key, state: "gone", drives: [], detail: error.message };
    if (error instanceof DataLossError) return { key, state: "unrecoverable", drives: [], detail: error.message };
    throw error;
  }
  const targets: RebuildTarget[] = [];
  try {
    const { dataShards: k, parityShards: m, version, mtime } = object.header;
    const reader = new StripeReader(key, object);
    // Pass 1: read and check every shard of every block.
    for (let b = 0; b < reader.geometry.blocks; b++) await reader.read(b, [], true);
    const rebuild = Array.from({ length: k + m }, (_, i) => i).filter((i) => !object.shards.has(i) || reader.bad.has(i));
    // Newer versions without a quorum: commits that died, once old enough not to be in progress elsewhere.
    // (Older versions and stray names go in removeOlderVersions; damaged files of this version are rewritten.)
    const abandoned = object.others.filter((o) => o.time > mtime && Date.now() - o.time > ABANDONED_MS);
    if (rebuild.length === 0) {
      await cleanUp(drives, key, object, abandoned);
      return { key, state: "healthy", drives: [] };
    }

    // Each rebuilt shard goes to its home drive unless that drive holds another good shard or is away.
    const holding = new Set([...object.shards.values()].filter((s) => !reader.bad.has(s.header.index)).map((s) => s.drive));
    const free = drives.roots.map((_r, d) => d).filter((d) => !holding.has(d) && !object.offlineDrives.includes(d));
    for (const index of rebuild) {
      const home = drives.driveFor(key, index);
      const drive = free.includes(home) ? home : free[0];
      if (drive === undefined) break;
      free.splice(free.indexOf(drive), 1);
      const target: RebuildTarget = { index, drive, temp: drives.tempPath(drive) };
      try {
        await mkdir(drives.tmpDir(drive)).catch(() => {}); // a wiped drive: recreate tmp/, never the drive
        target.handle = await open(target.temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      } catch {
        target.failed = true; // this drive cannot take it now; the others still heal
      }
      targets.push(target);
    }
    const live = () => targets.filter((t) => !t.failed);
    // Pass 2: rebuild the shards block by block from k good ones.
    for (let b = 0; b < reader.geometry.blocks; b++) {
      const stripe = await reader.read(b, live().map((t) => t.index));
      await Promise.all(
        live().map(async (t) => {
          const slot = t.index < k ? stripe.data : stripe.parity;
          const start = (t.index < k ? t.index : t.index - k) * stripe.shardSize;
          const shard = slot.subarray(start, start + stripe.shardSize);
          const written = await (t.handle as FileHandle).writev([bitrotHash(shard), shard], reader.geometry.offset(b)).catch(() => undefined);
          if (written?.bytesWritten !== HASH_BYTES + stripe.shardSize) t.failed = true;
        }),
      );
    }
    for (const t of live()) {
      try {
        const handle = t.handle as FileHandle;
        const { bytesWritten } = await handle.write(encodeHeader({ ...object.header, index: t.index }), 0, undefined, 0);
        if (bytesWritten !== HEADER_BYTES) throw new Error("short header write");
        await handle.sync();
      } catch {
        t.failed = true;
      }
    }
    const committed = await drives.locks.with(key, async () => {
      const current = await openObject(drives, key).catch(() => undefined);
      await current?.close();
      if (current?.header.version !== version) return false; // rewritten meanwhile: the new version stands
      for (const t of live()) await publish(t.temp, drives.shardPath(t.drive, key, version)).catch(() => (t.failed = true));
      await cleanUp(drives, key, object, abandoned, true);
      return true;
    });
    if (!committed) return { key, state: "rewritten", drives: [] };
    const away = object.offlineDrives.length > 0 ? `; drives ${object.offlineDrives.join(", ")} offline` : "";
    const problems = [...reader.bad.values()].join("; ");
    return { key, state: "healed", drives: live().map((t) => t.drive), detail: `${problems}${away}`.replace(/^; /, "") || undefined };
  } catch (error) {
    if (error instanceof DataLossError) return { key, state: "unrecoverable", drives: [], detail: error.message };
    throw error;
  } finally {
    await object.close();
    for (const t of targets) {
      await t.handle?.close().catch(() => {});
      await rm(t.temp, { force: true }).catch(() => {});
    }
  }
}

/** Removes shard files of older versions and of writes abandoned long ago (under the key's lock if `locked`). */
async function cleanUp(drives: DriveSet, key: string, object: OpenObject, abandoned: OpenObject["others"], locked = false): Promise<void> {
  const work = async () => {
    for (let d = 0; d < drives.count; d++) await removeOlderVersions(drives, d, key, object.header.mtime);
    for (const other of abandoned) await rm(other.path, { force: true }).catch(() => {});
  };
  if (locked) await work();
  else await drives.locks.with(key, work);
}

/** Heals every object on the drives (present on at least one) and removes abandoned temp files. */
export async function healAll(drives: DriveSet): Promise<HealSummary> {
  const summary: HealSummary = { objects: 0, healthy: 0, healed: 0, unrecoverable: 0, tempFilesRemoved: await sweepTemps(drives), results: [] };
  for await (const { key } of listKeys(drives, "", drives.count)) {
    const result = await healObject(drives, key).catch(
      (error: unknown): HealResult => ({ key, state: "unrecoverable", drives: [], detail: (error as Error).message }),
    );
    summary.objects++;
    if (result.state === "healthy") summary.healthy++;
    else summary.results.push(result);
    if (result.state === "healed") summary.healed++;
    if (result.state === "unrecoverable") summary.unrecoverable++;
  }
  return summary;
}

/**
 * Removes temp files whose writer is gone: written by another process of our
 * host and PID namespace that no longer runs, or older than an hour whoever
 * wrote them. Returns how many went.
 */
export async function sweepTemps(drives: DriveSet): Promise<number> {
  let removed = 0;
  for (let d = 0; d < drives.count; d++) {
    for (const name of await readdir(drives.tmpDir(d)).catch(() => [] as string[])) {
      const file = path.join(drives.tmpDir(d), name);
      const info = await lstat(file).catch(() => undefined);
      if (!info) continue;
      const pid = name.startsWith(TEMP_PREFIX) ? Number(name.slice(TEMP_PREFIX.length).split("-")[0]) : Number.NaN;
      const ownerGone = Number.isInteger(pid) && `${TEMP_PREFIX}${pid}` !== TEMP_OWNER && !processRuns(pid);
      if (ownerGone || Date.now() - info.mtimeMs > ABANDONED_MS) {
        await rm(file, { force: true, recursive: true }).then(() => removed++, () => {});
      }
    }
  }
  return removed;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}
