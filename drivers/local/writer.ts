/**
 * Writing an object, in two steps. Staging: the body is cut into blocks,
 * each block encoded into k data + m parity shards and appended, with its
 * block hash, to a temp file per drive, then flushed to disk; encoding and
 * writing block n overlaps filling block n+1. Committing: holding the key's
 * commit lease (lease.ts: one committer at a time across every process on
 * these drives), each temp file gets its header naming the new version, is
 * fsync'd, and is renamed into place (commit.ts). A write quorum (k, or k+1
 * when m = k, as MinIO) of drives must take every step, else everything is
 * undone and no new version becomes visible. A plain put does both steps at
 * once; a directory Save stages every file first and commits them together
 * (index.ts), so a Save that fails half way has published nothing.
 *
 * The version's id is its commit time and a UUID. The UUID is chosen first
 * (block hashes are bound to it); the time is chosen under the lease, later
 * than every version already there, so the last commit wins whatever the
 * clocks of the pods that wrote them say.
 */
import { createHash, randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, open, utimes } from "node:fs/promises";
import { addAbortSignal, type Readable } from "node:stream";
import { recyclerOf, type TransferOptions } from "../../src/driver.ts";
import { UnavailableError } from "../../src/errors.ts";
import { blockHasher, contentHasher } from "./bitrot.ts";
import { codecFor } from "./codec.ts";
import { newestVersionTime, publishVersion } from "./commit.ts";
import { Geometry, SHARD_FORMAT, type ShardHeader, shardSizeFor } from "./format.ts";
import { type DriveSet, versionName } from "./layout.ts";
import { withLease } from "./lease.ts";
import {
  appendShardBlock,
  dropTarget,
  liveTargets,
  onEachLive,
  openShardFile,
  removeShardFiles,
  type ShardTarget,
  shardOf,
  writeShardHeader,
} from "./shard-file.ts";

/** Blocks encoded and written at once; each holds a stripe of about (k+m)/k x blockSize. */
const PIPELINE_DEPTH = 3;
/** Blocks between background flushes of the temp files (32 MiB of object at 1 MiB blocks). */
const FLUSH_EVERY = 32;

export interface Layout {
  dataShards: number;
  parityShards: number;
  blockSize: number;
}

interface Target extends ShardTarget {
  /** A background flush in progress. */
  flushing?: Promise<void>;
}

/** The write quorum of a k+m layout. */
export function writeQuorum(layout: Layout): number {
  return layout.dataShards === layout.parityShards ? layout.dataShards + 1 : layout.dataShards;
}

/** Stages and commits `body` as the object `key`. */
export async function writeObject(
  drives: DriveSet,
  layout: Layout,
  key: string,
  body: Readable,
  options: TransferOptions = {},
): Promise<void> {
  const staged = await stageObject(drives, layout, key, body, options);
  try {
    await staged.commit(options.signal);
  } finally {
    await staged.discard();
  }
}

/** The shard targets of one write: drive `d`'s temp file is named by the write's UUID. */
function targetsOf(
  drives: DriveSet,
  layout: Layout,
  key: string,
  uuid: string,
  failures?: ReadonlyMap<number, string>,
): Target[] {
  return Array.from({ length: layout.dataShards + layout.parityShards }, (_, index) => {
    const drive = drives.driveFor(key, index);
    const failure = failures?.get(index) ?? (drives.isOnline(drive) ? undefined : "offline");
    return { index, drive, temp: drives.tempPath(drive, uuid), ...(failure ? { failure } : {}) };
  });
}

/** Throws UNAVAILABLE unless a write quorum of `targets` is still alive. */
function requireQuorumOf(targets: Target[], layout: Layout, key: string, step: string): void {
  const live = liveTargets(targets).length;
  const quorum = writeQuorum(layout);
  if (live >= quorum) return;
  const reasons = targets.filter((t) => t.failure).map((t) => `drive ${t.drive}: ${t.failure}`);
  throw new UnavailableError(
    `cannot ${step} '${key}': ${live} of ${targets.length} drives usable, ${quorum} needed (${reasons.join("; ")})`,
  );
}

/**
 * An object whose shards are on disk in temp files, flushed and closed, not
 * yet visible. Small on purpose (a directory Save holds one per file until
 * it commits): the temp files' names follow from the key and the UUID.
 */
export class StagedObject {
  readonly key: string;
  readonly size: number;
  private readonly drives: DriveSet;
  private readonly layout: Layout;
  private readonly uuid: string;
  /** The content's HighwayHash-256 (what reads check) and SHA-256 (what stat shows), hex. */
  private readonly digests: Pick<ShardHeader, "digest" | "sha256">;
  /** Shard indices whose drive failed while staging, with why. */
  private readonly failures: ReadonlyMap<number, string> | undefined;

  constructor(
    drives: DriveSet,
    layout: Layout,
    key: string,
    uuid: string,
    size: number,
    digests: Pick<ShardHeader, "digest" | "sha256">,
    failures?: ReadonlyMap<number, string>,
  ) {
    this.drives = drives;
    this.layout = layout;
    this.key = key;
    this.uuid = uuid;
    this.size = size;
    this.digests = digests;
    this.failures = failures;
  }

  /**
   * Publishes it as the newest version of its key, under the key's lease.
   * `signal` stops it only until the lease is taken: a commit under way is finished.
   */
  commit(signal?: AbortSignal): Promise<void> {
    const { drives, layout, key } = this;
    const targets = targetsOf(drives, layout, key, this.uuid, this.failures);
    return withLease(
      drives,
      key,
      async (lease) => {
        signal?.throwIfAborted(); // a cancel that arrived while the body ended or the lease was awaited
        const mtime = Math.max(Date.now(), (await newestVersionTime(drives, key)) + 1);
        const header: Omit<ShardHeader, "index"> = {
          format: SHARD_FORMAT,
          key,
          version: versionName(mtime, this.uuid),
          mtime,
          size: this.size,
          dataShards: layout.dataShards,
          parityShards: layout.parityShards,
          blockSize: layout.blockSize,
          ...this.digests,
        };
        await onEachLive(targets, async (t) => {
          const handle = await open(t.temp, constants.O_WRONLY | constants.O_NOFOLLOW);
          try {
            await writeShardHeader(handle, { ...header, index: t.index });
          } finally {
            await handle.close();
          }
        });
        requireQuorumOf(targets, layout, key, "store");
        await lease.assertHeld();
        await publishVersion(drives, key, header.version, mtime, liveTargets(targets), writeQuorum(layout));
        requireQuorumOf(targets, layout, key, "commit");
      },
      signal,
    );
  }

  /** Marks its temp files as in use, so no heal pass takes them for abandoned. */
  async touch(): Promise<void> {
    const now = new Date();
    await Promise.all(
      liveTargets(targetsOf(this.drives, this.layout, this.key, this.uuid, this.failures)).map((t) =>
        utimes(t.temp, now, now).catch(() => {}),
      ),
    );
  }

  /** Removes its temp files (after a commit: whatever was not published). Safe to repeat. */
  discard(): Promise<void> {
    return removeShardFiles(targetsOf(this.drives, this.layout, this.key, this.uuid));
  }
}

/** Writes every shard of `body` to a temp file per drive, flushed and closed; publishes nothing. */
export async function stageObject(
  drives: DriveSet,
  layout: Layout,
  key: string,
  body: Readable,
  options: TransferOptions = {},
): Promise<StagedObject> {
  const { signal } = options;
  const { dataShards: k, parityShards: m, blockSize } = layout;
  const codec = codecFor(k, m);
  const uuid = randomUUID();
  const targets = targetsOf(drives, layout, key, uuid);
  const requireQuorum = (step: string) => requireQuorumOf(targets, layout, key, step);

  const digest = contentHasher();
  const sha256 = options.sha256 ? undefined : createHash("sha256"); // else the caller's worker hashes it
  let recorded: string | undefined;
  let size = 0;
  try {
    await Promise.all(
      liveTargets(targets).map((t) => openShardFile(drives, t).catch((error: unknown) => dropTarget(t, error))),
    );
    requireQuorum("store");

    const geometry = new Geometry({ size: 0, dataShards: k, blockSize });
    // PIPELINE_DEPTH blocks in flight: encoding one overlaps writing the others and filling the next.
    const stripes = Array.from({ length: PIPELINE_DEPTH + 1 }, () => ({
      data: Buffer.alloc(k * geometry.fullShardSize),
      parity: Buffer.alloc(Math.max(m, 1) * geometry.fullShardSize),
    }));
    const hashers = targets.map((t) => blockHasher(SHARD_FORMAT, uuid, t.index));
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
      await onEachLive(targets, async (t, handle) => {
        const shard = shardOf(s, k, t.index, shardSize);
        await appendShardBlock(handle, (hashers[t.index] as (typeof hashers)[number])(b, shard), shard, offset);
      });
      requireQuorum("store");
      // Flush what is written so far every FLUSH_EVERY blocks, in the background: the disk
      // works while we encode, and the final fsync has little left to wait for.
      if (b % FLUSH_EVERY === FLUSH_EVERY - 1) {
        for (const t of liveTargets(targets))
          t.flushing ??= (t.handle as FileHandle)
            .datasync()
            .catch(() => {})
            .finally(() => (t.flushing = undefined));
      }
    };

    const source = signal ? addAbortSignal(signal, body) : body;
    const recycle = recyclerOf(body);
    for await (const chunk of source as AsyncIterable<Buffer>) {
      digest.update(chunk);
      sha256?.update(chunk);
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
      recycle?.(chunk); // copied into the stripe: back to the body (a file's read buffers)
    }
    await Promise.all(inFlight);
    if (filled > 0) await writeBlock(stripe, block++, filled);
    // The data reaches the disks before the lease is taken: the commit under it stays short.
    // Then the files are closed until the commit: a directory stages thousands of objects.
    await onEachLive(targets, async (t, handle) => {
      await t.flushing;
      await handle.datasync();
      await handle.close();
      t.handle = undefined;
    });
    requireQuorum("store");
    recorded = sha256 ? sha256.digest("hex") : await options.sha256;
  } catch (error) {
    await removeShardFiles(targets);
    throw error;
  }
  const failures = new Map(targets.flatMap((t) => (t.failure ? [[t.index, t.failure] as const] : [])));
  const digests = { digest: digest.digest(), sha256: recorded };
  return new StagedObject(drives, layout, key, uuid, size, digests, failures.size > 0 ? failures : undefined);
}
