/**
 * Reading an object's shards: picking the version by quorum, and reading
 * block stripes with bitrot checks, falling back to other shards and
 * rebuilding from parity when a shard is missing, short or corrupt.
 */
import { constants } from "node:fs";
import { open, readdir, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { DataLossError, NotFoundError, UnavailableError } from "../../src/errors.ts";
import { bitrotHash, HASH_BYTES } from "./bitrot.ts";
import { ErasureCodec } from "./codec.ts";
import { decodeHeader, Geometry, HEADER_BYTES, type ShardHeader } from "./format.ts";
import { versionTime, type DriveSet } from "./layout.ts";

/** One drive's shard file of the chosen version, open for reading. */
export interface OpenShard {
  drive: number;
  handle: FileHandle;
  header: ShardHeader;
}

/** A shard file that is not part of the chosen version (older, unfinished or damaged). */
export interface OtherShard {
  drive: number;
  path: string;
  /** Commit time from its name (NaN if the name is not a version). */
  time: number;
}

/** An object version with a read quorum of shard files open. */
export interface OpenObject {
  header: ShardHeader;
  /** By shard index. */
  shards: Map<number, OpenShard>;
  /** Reachable drives without a shard of this version (to heal). */
  staleDrives: number[];
  /** Drives whose root is missing: nothing can be done there until the volume is back. */
  offlineDrives: number[];
  /** Shard files of other versions, for heal to clean up. */
  others: OtherShard[];
  close(): Promise<void>;
}

const codecs = new Map<string, ErasureCodec>();
/** The codec of a layout; objects carry their own k and m, which may predate the current config. */
export function codecFor(dataShards: number, parityShards: number): ErasureCodec {
  const id = `${dataShards}+${parityShards}`;
  let codec = codecs.get(id);
  if (!codec) codecs.set(id, (codec = new ErasureCodec(dataShards, parityShards)));
  return codec;
}

interface DriveScan {
  drive: number;
  state: "present" | "missing" | "offline" | "failed";
  shards: OpenShard[];
  others: OtherShard[];
  error?: unknown;
}

/** Opens every shard file of `key` on one drive, keeping those whose header reads. */
async function scanDrive(drives: DriveSet, key: string, drive: number): Promise<DriveScan> {
  const scan: DriveScan = { drive, state: "present", shards: [], others: [] };
  let names: string[];
  try {
    names = await readdir(drives.versionsDir(drive, key));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") return { ...scan, state: "failed", error };
    const root = await stat(drives.roots[drive] as string).catch(() => undefined);
    return { ...scan, state: root?.isDirectory() ? "missing" : "offline" };
  }
  for (const name of names) {
    const file = path.join(drives.versionsDir(drive, key), name);
    let handle: FileHandle | undefined;
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      const bytes = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(bytes, 0, HEADER_BYTES, 0);
      const header = decodeHeader(bytes.subarray(0, bytesRead), `object '${key}' on drive ${drive}`);
      if (header.version !== name || header.key !== key) throw new DataLossError(`${file}: header names another object`);
      scan.shards.push({ drive, handle, header });
    } catch {
      await handle?.close().catch(() => {});
      scan.others.push({ drive, path: file, time: versionTime(name) });
    }
  }
  if (scan.shards.length === 0 && scan.others.length === 0) scan.state = "missing";
  return scan;
}

/**
 * Opens the shard files of `key` on every drive and keeps those of the newest
 * version that has at least k of them (a read quorum). NotFoundError when
 * more than m drives lack the object (leftovers of a delete made while some
 * drives were away do not count); DataLossError when it exists but too few
 * shards agree; UnavailableError when too many drives cannot be read.
 */
export async function openObject(drives: DriveSet, key: string): Promise<OpenObject> {
  const scans = await Promise.all(drives.roots.map((_root, drive) => scanDrive(drives, key, drive)));
  const opened = scans.flatMap((s) => s.shards);
  const byVersion = new Map<string, OpenShard[]>();
  for (const shard of opened) byVersion.set(shard.header.version, [...(byVersion.get(shard.header.version) ?? []), shard]);
  const first = (group: OpenShard[]) => (group[0] as OpenShard).header;
  const quorate = [...byVersion.values()]
    .filter((group) => new Set(group.map((s) => s.header.index)).size >= first(group).dataShards)
    .sort((a, b) => first(b).mtime - first(a).mtime || (first(b).version < first(a).version ? -1 : 1));
  const chosen = quorate[0];
  const others = scans.flatMap((s) => s.others);
  for (const shard of opened) {
    if (chosen?.includes(shard)) continue;
    others.push({ drive: shard.drive, path: drives.shardPath(shard.drive, key, shard.header.version), time: shard.header.mtime });
    await shard.handle.close().catch(() => {});
  }
  if (!chosen) {
    const missing = scans.filter((s) => s.state === "missing").length;
    const failed = scans.filter((s) => s.state === "failed" || s.state === "offline");
    const parity = drives.count - (opened[0]?.header.dataShards ?? drives.count);
    if (opened.length + others.length === 0 && failed.length === 0) throw new NotFoundError(`object '${key}' not found`);
    if (missing > parity) {
      // As MinIO: most drives say "no such object", so it is gone; the shards left are
      // what a delete made while drives were away could not reach (`multistore rm` clears them).
      const holding = new Set([...opened, ...others].map((s) => s.drive)).size;
      throw new NotFoundError(`object '${key}' not found (shards left on ${holding} of ${drives.count} drives, fewer than needed to read it)`);
    }
    if (opened.length === 0 && failed.length > 0) {
      const reason = failed.map((s) => `drive ${s.drive}: ${s.state === "offline" ? "offline" : (s.error as Error).message}`).join("; ");
      throw new UnavailableError(`object '${key}' cannot be read: ${reason}`);
    }
    const best = Math.max(0, ...[...byVersion.values()].map((g) => new Set(g.map((s) => s.header.index)).size));
    throw new DataLossError(`object '${key}' cannot be read: found ${best} matching shards of the ${opened[0]?.header.dataShards ?? "k"} needed`);
  }
  const shards = new Map<number, OpenShard>();
  for (const shard of chosen) {
    if (shards.has(shard.header.index)) await shard.handle.close().catch(() => {}); // a duplicate index (drives reordered)
    else shards.set(shard.header.index, shard);
  }
  const holding = new Set([...shards.values()].map((s) => s.drive));
  const offline = scans.filter((s) => s.state === "offline").map((s) => s.drive);
  return {
    header: first(chosen),
    shards,
    staleDrives: scans.map((s) => s.drive).filter((d) => !holding.has(d) && !offline.includes(d)),
    offlineDrives: offline,
    others,
    close: async () => void (await Promise.all([...shards.values()].map((s) => s.handle.close().catch(() => {})))),
  };
}

const EMPTY = Buffer.alloc(0);

/** Gives `stripe` its parity space if it has none yet, and returns it. */
function withParity(stripe: Stripe, parityShards: number): Buffer {
  if (stripe.parity.length === 0) stripe.parity = Buffer.allocUnsafe(Math.max(parityShards, 1) * stripe.shardSize);
  return stripe.parity;
}

/** One block's shards in ronomon's layout: data shards back to back, then parity. */
export interface Stripe {
  data: Buffer;
  parity: Buffer;
  shardSize: number;
  blockBytes: number;
}

/**
 * Reads stripes of an open object. A shard that fails a read (I/O error,
 * short, bitrot) is dropped for the rest of the object and another takes its
 * place; shards the caller wants that could not be read are rebuilt.
 */
export class StripeReader {
  readonly geometry: Geometry;
  /** Shard indexes found bad so far, with why. */
  readonly bad = new Map<number, string>();
  private readonly object: OpenObject;
  private readonly codec: ErasureCodec;
  private readonly key: string;

  constructor(key: string, object: OpenObject) {
    this.key = key;
    this.object = object;
    this.geometry = new Geometry(object.header);
    this.codec = codecFor(object.header.dataShards, object.header.parityShards);
  }

  /**
   * Returns block `b` with every index in `want` valid in the stripe. With
   * `verifyAll`, every available shard is read and checked (healing), not
   * just the k needed.
   */
  async read(b: number, want: readonly number[], verifyAll = false): Promise<Stripe> {
    const { dataShards: k, parityShards: m } = this.object.header;
    const shardSize = this.geometry.shardSize(b);
    const stripe: Stripe = {
      data: Buffer.allocUnsafe(k * shardSize),
      parity: EMPTY, // allocated on first use: a healthy read never needs it
      shardSize,
      blockBytes: this.geometry.blockBytes(b),
    };
    const good: number[] = [];
    const tried = new Set<number>();
    const candidates = () =>
      [...this.object.shards.keys()].filter((i) => !tried.has(i) && !this.bad.has(i)).sort((x, y) => x - y);
    while (good.length < k || verifyAll) {
      const next = verifyAll ? candidates() : candidates().slice(0, k - good.length);
      if (next.length === 0) break;
      await Promise.all(
        next.map(async (index) => {
          tried.add(index);
          const problem = await this.readShard(b, index, stripe);
          if (problem) this.bad.set(index, problem);
          else good.push(index);
        }),
      );
      if (verifyAll) break;
    }
    if (good.length < k) {
      throw new DataLossError(
        `object '${this.key}', block ${b}: only ${good.length} of the ${k} shards needed are readable (${[...this.bad.values()].join("; ")})`,
      );
    }
    const missing = want.filter((i) => !good.includes(i));
    if (missing.length > 0) withParity(stripe, m);
    await this.codec.rebuild(good.slice(0, k), missing, stripe.data, stripe.parity, shardSize);
    return stripe;
  }

  /** Reads and checks shard `index` of block `b` into its slot; returns what is wrong, if anything. */
  private async readShard(b: number, index: number, stripe: Stripe): Promise<string | undefined> {
    const shard = this.object.shards.get(index) as OpenShard;
    const k = this.object.header.dataShards;
    const slot = index < k ? stripe.data : withParity(stripe, this.object.header.parityShards);
    const start = (index < k ? index : index - k) * stripe.shardSize;
    const target = slot.subarray(start, start + stripe.shardSize);
    const hash = Buffer.allocUnsafe(HASH_BYTES);
    try {
      const { bytesRead } = await shard.handle.readv([hash, target], this.geometry.offset(b));
      if (bytesRead < HASH_BYTES + stripe.shardSize) return `shard ${index} on drive ${shard.drive} is truncated`;
    } catch (error) {
      return `shard ${index} on drive ${shard.drive}: ${(error as Error).message}`;
    }
    if (!bitrotHash(target).equals(hash)) return `shard ${index} on drive ${shard.drive} fails its bitrot check`;
    return undefined;
  }
}
