/**
 * Writing one shard file, the same way for a new object (writer.ts) and for
 * a rebuilt shard (heal.ts): a fresh temp file in the drive's tmp/, blocks
 * appended at their offsets each behind its bitrot hash, then the header at
 * offset 0 and an fsync. Only after that does commit.ts rename it into place.
 * A target that fails any step is dropped with why; the caller decides
 * whether the rest still make a quorum.
 */
import { constants } from "node:fs";
import { type FileHandle, mkdir, open, rm } from "node:fs/promises";
import { errnoCode } from "../../src/errors.ts";
import { HASH_BYTES } from "./bitrot.ts";
import { encodeHeader, HEADER_BYTES, type ShardHeader } from "./format.ts";
import type { DriveSet } from "./layout.ts";

/** One shard file being written: shard `index` of the stripe, to `temp` on `drive`. */
export interface ShardTarget {
  index: number;
  drive: number;
  temp: string;
  handle?: FileHandle;
  /** Why this target was dropped; set once, never cleared. */
  failure?: string;
}

/** The targets still being written. */
export const liveTargets = <T extends ShardTarget>(targets: T[]): T[] => targets.filter((t) => !t.failure);

/** Shard `index` of a stripe laid out as ronomon's: k data shards back to back, then the parity shards. */
export function shardOf(
  stripe: { data: Buffer; parity: Buffer },
  dataShards: number,
  index: number,
  shardSize: number,
): Buffer {
  const [source, slot] = index < dataShards ? [stripe.data, index] : [stripe.parity, index - dataShards];
  return source.subarray(slot * shardSize, (slot + 1) * shardSize);
}

/** Opens the target's fresh temp file, recreating the drive's tmp folder if it was wiped (never the drive itself). */
export async function openShardFile(drives: DriveSet, target: ShardTarget): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
  try {
    target.handle = await open(target.temp, flags, 0o644);
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
    await mkdir(drives.tmpDir(target.drive)); // fails (ENOENT) if the drive itself is gone: it stays failed
    target.handle = await open(target.temp, flags, 0o644);
  }
}

/** Writes one block of the shard, behind its hash, at the block's offset in the file. */
export async function appendShardBlock(handle: FileHandle, hash: Buffer, shard: Buffer, offset: number): Promise<void> {
  const { bytesWritten } = await handle.writev([hash, shard], offset);
  if (bytesWritten !== HASH_BYTES + shard.length) throw new Error(`short write (${bytesWritten} bytes): disk full?`);
}

/** Writes the header at offset 0 and fsyncs the file: after this it can be published. */
export async function writeShardHeader(handle: FileHandle, header: ShardHeader): Promise<void> {
  const { bytesWritten } = await handle.write(encodeHeader(header), 0, undefined, 0);
  if (bytesWritten !== HEADER_BYTES) throw new Error("short header write: disk full?");
  await handle.sync();
}

/** Drops `target` from the write with why, closing its file; the others go on. */
export async function dropTarget(target: ShardTarget, error: unknown): Promise<void> {
  target.failure ??= (error as Error).message;
  await target.handle?.close().catch(() => {});
  target.handle = undefined;
}

/** Runs `step` on every live target at once; a target whose step throws is dropped. */
export function onEachLive<T extends ShardTarget>(
  targets: T[],
  step: (t: T, handle: FileHandle) => Promise<void>,
): Promise<unknown> {
  return Promise.all(
    liveTargets(targets).map((t) => step(t, t.handle as FileHandle).catch((error: unknown) => dropTarget(t, error))),
  );
}

/** Closes and removes every target's temp file (whatever was not published). Safe to repeat. */
export async function removeShardFiles(targets: ShardTarget[]): Promise<void> {
  await Promise.all(
    targets.map(async (t) => {
      await t.handle?.close().catch(() => {});
      t.handle = undefined;
      await rm(t.temp, { force: true }).catch(() => {});
    }),
  );
}
