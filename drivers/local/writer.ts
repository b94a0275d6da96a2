/**
 * Writing an object: the body is cut into blocks, each block encoded into
 * k data + m parity shards and appended, with its block hash, to a temp file
 * per drive. Encoding and writing block n overlaps filling block n+1. Then,
 * holding the key's commit lease (lease.ts: one committer at a time across
 * every process on these drives), each temp file gets its header naming the
 * new version, is fsync'd, and is renamed into place. A write quorum (k, or
 * k+1 when m = k, as MinIO) of drives must take every step, else everything
 * is undone and no new version becomes visible.
 *
 * The version's id is its commit time and a UUID. The UUID is chosen first
 * (block hashes are bound to it); the time is chosen under the lease, later
 * than every version already there, so the last commit wins whatever the
 * clocks of the pods that wrote them say.
 */
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { addAbortSignal, type Readable } from "node:stream";
import { UnavailableError } from "../../src/errors.ts";
import { blockHasher, contentHasher, HASH_BYTES } from "./bitrot.ts";
import { codecFor } from "./codec.ts";
import { encodeHeader, Geometry, HEADER_BYTES, SHARD_FORMAT, shardSizeFor, type ShardHeader } from "./format.ts";
import { folderIsOurs, mkdirBelow } from "./files.ts";
import { errnoCode } from "../../src/errors.ts";
import { versionName, versionTime, type DriveSet } from "./layout.ts";
import { withLease } from "./lease.ts";

/** Blocks encoded and written at once; each holds a stripe of about (k+m)/k x blockSize. */
const PIPELINE_DEPTH = 3;
/** Blocks between background flushes of the temp files (32 MiB of object at 1 MiB blocks). */
const FLUSH_EVERY = 32;

export interface Layout {
  dataShards: number;
  parityShards: number;
  blockSize: number;
}

interface Target {
  index: number;
  drive: number;
  temp: string;
  handle?: FileHandle;
  failure?: string;
  /** A background flush in progress. */
  flushing?: Promise<void>;
}

/** The write quorum of a k+m layout. */
export function writeQuorum(layout: Layout): number {
  return layout.dataShards === layout.parityShards ? layout.dataShards + 1 : layout.dataShards;
}

export async function writeObject(drives: DriveSet, layout: Layout, key: string, body: Readable, signal?: AbortSignal): Promise<void> {
  const { dataShards: k, parityShards: m, blockSize } = layout;
  const codec = codecFor(k, m);
  const quorum = writeQuorum(layout);
  const uuid = randomUUID();
  const targets: Target[] = Array.from({ length: k + m }, (_, index) => {
    const drive = drives.driveFor(key, index);
    return { index, drive, temp: drives.tempPath(drive), ...(drives.isOnline(drive) ? {} : { failure: "offline" }) };
  });
  const alive = () => targets.filter((t) => !t.failure);
  const requireQuorum = (step: string) => {
    if (alive().length >= quorum) return;
    const reasons = targets.filter((t) => t.failure).map((t) => `drive ${t.drive}: ${t.failure}`);
    throw new UnavailableError(`cannot ${step} '${key}': ${alive().length} of ${k + m} drives usable, ${quorum} needed (${reasons.join("; ")})`);
  };
  const fail = async (target: Target, error: unknown) => {
    target.failure ??= (error as Error).message;
    await target.handle?.close().catch(() => {});
    target.handle = undefined;
  };
  /** Runs `step` on every live target; a target whose step throws is dropped. */
  const onEachLive = (step: (t: Target, handle: FileHandle) => Promise<void>) =>
    Promise.all(alive().map((t) => step(t, t.handle as FileHandle).catch((error: unknown) => fail(t, error))));

  try {
    await Promise.all(alive().map(async (t) => {
      try {
        t.handle = await openTemp(drives, t);
      } catch (error) {
        await fail(t, error);
      }
    }));
    requireQuorum("store");

    const geometry = new Geometry({ size: 0, dataShards: k, blockSize });
    // PIPELINE_DEPTH blocks in flight: encoding one overlaps writing the others and filling the next.
    const stripes = Array.from({ length: PIPELINE_DEPTH + 1 }, () => ({
      data: Buffer.alloc(k * geometry.fullShardSize),
      parity: Buffer.alloc(Math.max(m, 1) * geometry.fullShardSize),
    }));
    const hashers = targets.map((t) => blockHasher(SHARD_FORMAT, uuid, t.index));
    const digest = contentHasher();
    let size = 0;
    let block = 0;
    let filled = 0;
    let stripe = stripes[0]!;
    const inFlight: Promise<void>[] = [];

    /** Encodes and appends one block to every live drive. */
    const writeBlock = async (s: typeof stripe, b: number, bytes: number): Promise<void> => {
      const shardSize = shardSizeFor(bytes, k);
      s.data.fill(0, bytes, k * shardSize); // padding of the last data shard(s)
      await codec.encode(s.data, s.parity, shardSize);
      const offset = geometry.offset(b);
      await onEachLive(async (t, handle) => {
        const source = t.index < k ? s.data : s.parity;
        const start = (t.index < k ? t.index : t.index - k) * shardSize;
        const shard = source.subarray(start, start + shardSize);
        const { bytesWritten } = await handle.writev([(hashers[t.index] as (typeof hashers)[number])(b, shard), shard], offset);
        if (bytesWritten !== HASH_BYTES + shardSize) throw new Error(`short write (${bytesWritten} bytes): disk full?`);
      });
      requireQuorum("store");
      // Flush what is written so far every FLUSH_EVERY blocks, in the background: the disk
      // works while we encode, and the final fsync has little left to wait for.
      if (b % FLUSH_EVERY === FLUSH_EVERY - 1) {
        for (const t of alive()) t.flushing ??= (t.handle as FileHandle).datasync().catch(() => {}).finally(() => (t.flushing = undefined));
      }
    };

    const source = signal ? addAbortSignal(signal, body) : body;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      digest.update(chunk);
      size += chunk.length;
      for (let offset = 0; offset < chunk.length; ) {
        const take = Math.min(blockSize - filled, chunk.length - offset);
        chunk.copy(stripe.data, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled === blockSize) {
          // Writes go to explicit offsets, so blocks may finish in any order.
          if (inFlight.length >= PIPELINE_DEPTH) await inFlight.shift();
          const writing = writeBlock(stripe, block, filled);
          writing.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
          inFlight.push(writing);
          block++;
          stripe = stripes[block % stripes.length]!;
          filled = 0;
        }
      }
    }
    await Promise.all(inFlight);
    if (filled > 0) await writeBlock(stripe, block++, filled);
    // The data reaches the disks before the lease is taken: the commit under it stays short.
    await onEachLive(async (t, handle) => {
      await t.flushing;
      await handle.datasync();
    });
    requireQuorum("store");

    await withLease(drives, key, async (lease) => {
      signal?.throwIfAborted(); // a cancel that arrived while the body was ending: publish nothing
      const mtime = Math.max(Date.now(), (await newestVersionTime(drives, key)) + 1);
      const header: Omit<ShardHeader, "index"> = {
        format: SHARD_FORMAT, key, version: versionName(mtime, uuid), mtime, size,
        dataShards: k, parityShards: m, blockSize, digest: digest.digest(),
      };
      await onEachLive(async (t, handle) => {
        const { bytesWritten } = await handle.write(encodeHeader({ ...header, index: t.index }), 0, undefined, 0);
        if (bytesWritten !== HEADER_BYTES) throw new Error("short header write: disk full?");
        await handle.sync();
        await handle.close();
        t.handle = undefined;
      });
      requireQuorum("store");
      await lease.assertHeld();
      await commit(drives, key, header.version, mtime, alive(), quorum, fail);
      requireQuorum("commit");
    }, signal);
  } finally {
    await Promise.all(targets.map(async (t) => {
      await t.handle?.close().catch(() => {});
      await rm(t.temp, { force: true }).catch(() => {});
    }));
  }
}

/**
 * Renames the new version in beside the old one (never over it); only once a
 * write quorum holds it do older versions go. If the quorum is missed the new
 * files are removed again and the old version stands.
 */
async function commit(
  drives: DriveSet, key: string, version: string, mtime: number,
  targets: Target[], quorum: number, fail: (t: Target, error: unknown) => Promise<void>,
): Promise<void> {
  const committed: Target[] = [];
  await Promise.all(targets.map(async (t) => {
    try {
      await publish(drives, t.drive, t.temp, drives.shardPath(t.drive, key, version));
      committed.push(t);
    } catch (error) {
      await fail(t, error);
    }
  }));
  if (committed.length < quorum) {
    await Promise.all(committed.map((t) => rm(drives.shardPath(t.drive, key, version), { force: true }).catch(() => {})));
    for (const t of committed) t.failure ??= "rolled back";
    return;
  }
  await Promise.all(drives.online().map((d) => removeOlderVersions(drives, d, key, mtime)));
}

/** Version times further ahead than this are not a pod's clock running fast: not ours, ignored. */
const IMPLAUSIBLY_LATE_MS = 366 * 24 * 3600_000;

/** The newest commit time of any version of `key` on the online drives (0 if none). */
async function newestVersionTime(drives: DriveSet, key: string): Promise<number> {
  let newest = 0;
  const latest = Date.now() + IMPLAUSIBLY_LATE_MS;
  await Promise.all(drives.online().map(async (d) => {
    for (const name of await readdir(drives.versionsDir(d, key)).catch(() => [] as string[])) {
      const time = versionTime(name);
      if (time > newest && time <= latest) newest = time;
    }
  }));
  return newest;
}

/** Opens a fresh temp file, recreating the drive's tmp folder if it was wiped (never the drive itself). */
async function openTemp(drives: DriveSet, target: Target): Promise<FileHandle> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  try {
    return await open(target.temp, flags, 0o644);
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
    await mkdir(drives.tmpDir(target.drive)); // fails (ENOENT) if the drive itself is gone: it stays failed
    return open(target.temp, flags, 0o644);
  }
}

/**
 * Renames a finished shard file into place, making the key's folders below
 * the drive's `objects/` as needed, and never `objects/` or the drive: if
 * the drive went away (an unmounted volume), this fails and the drive does
 * not count. A folder on the way that is a link is refused (it would lead
 * outside the drive). Retries if a delete of a sibling prunes a folder meanwhile.
 */
export async function publish(drives: DriveSet, drive: number, temp: string, final: string): Promise<void> {
  const folder = path.dirname(final);
  for (let attempt = 0; ; attempt++) {
    try {
      if (!(await folderIsOurs(drives.objectsDir(drive), folder))) throw new Error(`${folder} leads through a link`);
      return await rename(temp, final);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT" || attempt >= 5) throw error;
    }
    try {
      await mkdirBelow(drives.objectsDir(drive), folder);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT" || attempt >= 5) throw error; // pruned as we made it: again
    }
  }
}

/** Removes versions of `key` on `drive` committed before `mtime` (a newer one, committed since, stays). */
export async function removeOlderVersions(drives: DriveSet, drive: number, key: string, mtime: number): Promise<void> {
  const dir = drives.versionsDir(drive, key);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const time = versionTime(name);
    // Only names the store makes: anything else in the folder is not ours to delete.
    if (time < mtime) await rm(path.join(dir, name), { force: true }).catch(() => {});
  }
}
