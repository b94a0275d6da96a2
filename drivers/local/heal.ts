/**
 * Healing, as MinIO heals an object: find the version with a read quorum,
 * read and verify every shard of every block, rebuild the missing or corrupt
 * shards from k good ones into temp files, and rename them into place,
 * provided the object was not rewritten meanwhile. Also removes temp files
 * left by writes whose process died.
 */
import { constants } from "node:fs";
import { lstat, mkdir, open, readdir, rm, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { HealResult, HealSummary } from "../../src/driver.ts";
import { DataLossError, NotFoundError } from "../../src/errors.ts";
import { bitrotHash } from "./bitrot.ts";
import { encodeHeader } from "./format.ts";
import { TEMP_OWNER, type DriveSet, type KeyLocks } from "./layout.ts";
import { listKeys } from "./listing.ts";
import { openObject, StripeReader, type OpenObject } from "./shards.ts";
import { publish } from "./writer.ts";

/** Temp files older than this are removed whoever owns them: no write stays silent so long. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export async function healObject(drives: DriveSet, locks: KeyLocks, key: string): Promise<HealResult> {
  let object: OpenObject;
  try {
    object = await locks.with(key, () => openObject(drives, key));
  } catch (error) {
    if (error instanceof NotFoundError) return { key, state: "gone", drives: [] };
    if (error instanceof DataLossError) return { key, state: "unrecoverable", drives: [], detail: error.message };
    throw error;
  }
  const temps: { index: number; drive: number; temp: string; handle: FileHandle }[] = [];
  try {
    const { dataShards: k, parityShards: m } = object.header;
    const all = Array.from({ length: k + m }, (_, i) => i);
    const reader = new StripeReader(key, object);
    // Pass 1: read and check every shard of every block.
    for (let b = 0; b < reader.geometry.blocks; b++) await reader.read(b, [], true);
    const rebuild = all.filter((i) => !object.shards.has(i) || reader.bad.has(i));
    if (rebuild.length === 0) return { key, state: "healthy", drives: [] };

    // Each rebuilt shard goes to its home drive unless that drive holds another good shard.
    const holding = new Set([...object.shards.values()].filter((s) => !reader.bad.has(s.header.index)).map((s) => s.drive));
    const free = drives.roots.map((_r, d) => d).filter((d) => !holding.has(d));
    for (const index of rebuild) {
      const home = drives.driveFor(key, index);
      const drive = free.includes(home) ? home : free.find((d) => !temps.some((t) => t.drive === d));
      if (drive === undefined) continue;
      free.splice(free.indexOf(drive), 1);
      const temp = drives.tempPath(drive);
      await mkdir(drives.tmpDir(drive), { recursive: false }).catch(() => {});
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      temps.push({ index, drive, temp, handle });
    }
    // Pass 2: rebuild the shards block by block from k good ones.
    for (let b = 0; b < reader.geometry.blocks; b++) {
      const stripe = await reader.read(b, temps.map((t) => t.index));
      await Promise.all(
        temps.map((t) => {
          const slot = t.index < k ? stripe.data : stripe.parity;
          const start = (t.index < k ? t.index : t.index - k) * stripe.shardSize;
          const shard = slot.subarray(start, start + stripe.shardSize);
          return t.handle.writev([bitrotHash(shard), shard], reader.geometry.offset(b));
        }),
      );
    }
    for (const t of temps) {
      await t.handle.write(encodeHeader({ ...object.header, index: t.index }), 0, undefined, 0);
      await t.handle.sync();
      await t.handle.close();
    }
    const version = object.header.version;
    const committed = await locks.with(key, async () => {
      const current = await openObject(drives, key).catch(() => undefined);
      await current?.close();
      if (current?.header.version !== version) return false; // rewritten meanwhile: the new version stands
      for (const t of temps) await publish(t.temp, drives.shardPath(t.drive, key));
      return true;
    });
    if (!committed) return { key, state: "rewritten", drives: [] };
    return { key, state: "healed", drives: temps.map((t) => t.drive), detail: [...reader.bad.values()].join("; ") || undefined };
  } catch (error) {
    if (error instanceof DataLossError) return { key, state: "unrecoverable", drives: [], detail: error.message };
    throw error;
  } finally {
    await object.close();
    for (const t of temps) {
      await t.handle.close().catch(() => {});
      await rm(t.temp, { force: true });
    }
  }
}

/** Heals every object on the drives (present on at least one) and removes abandoned temp files. */
export async function healAll(drives: DriveSet, locks: KeyLocks): Promise<HealSummary> {
  const summary: HealSummary = { objects: 0, healthy: 0, healed: 0, unrecoverable: 0, tempFilesRemoved: await sweepTemps(drives), results: [] };
  for await (const { key } of listKeys(drives, "")) {
    const result = await healObject(drives, locks, key);
    summary.objects++;
    if (result.state === "healthy") summary.healthy++;
    else summary.results.push(result);
    if (result.state === "healed") summary.healed++;
    if (result.state === "unrecoverable") summary.unrecoverable++;
  }
  return summary;
}

/**
 * Removes temp files whose writer is gone: same host and a pid that no longer
 * runs, or older than an hour whoever wrote them. Returns how many went.
 */
export async function sweepTemps(drives: DriveSet): Promise<number> {
  let removed = 0;
  const host = os.hostname().replace(/[^A-Za-z0-9.]/g, "_");
  for (let d = 0; d < drives.count; d++) {
    for (const name of await readdir(drives.tmpDir(d)).catch(() => [] as string[])) {
      const file = path.join(drives.tmpDir(d), name);
      const match = /^(.*)-(\d+)-[0-9a-f-]{36}$/.exec(name);
      const info = await lstat(file).catch(() => undefined);
      if (!info) continue;
      const ownerGone = match?.[1] === host && `${match[1]}-${match[2]}` !== TEMP_OWNER && !processRuns(Number(match[2]));
      if (ownerGone || Date.now() - info.mtimeMs > STALE_TEMP_MS) {
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
