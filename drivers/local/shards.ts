/**
 * Reading an object's shards: picking the version by quorum, and reading
 * block stripes with bitrot checks, falling back to other shards and
 * rebuilding from parity when a shard is missing, short or corrupt.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { DataLossError, NotFoundError } from "../../src/errors.ts";
import { bitrotHash, HASH_BYTES } from "./bitrot.ts";
import { ErasureCodec } from "./codec.ts";
import { decodeHeader, Geometry, HEADER_BYTES, type ShardHeader } from "./format.ts";
import type { DriveSet } from "./layout.ts";

/** One drive's shard file of the chosen version, open for reading. */
export interface OpenShard {
  drive: number;
  handle: FileHandle;
  header: ShardHeader;
}

/** An object version with a read quorum of shard files open. */
export interface OpenObject {
  header: ShardHeader;
  /** By shard index. */
  shards: Map<number, OpenShard>;
  /** Drives whose shard is missing, damaged or of another version (for healing). */
  staleDrives: number[];
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

/**
 * Opens the shard files of `key` on every drive and keeps those of the newest
 * version that has at least k of them (a read quorum). NotFoundError if no
 * drive has the object; DataLossError if some do but too few agree.
 */
export async function openObject(drives: DriveSet, key: string): Promise<OpenObject> {
  const attempts = await Promise.all(
    drives.roots.map(async (_root, drive) => {
      let handle: FileHandle | undefined;
      try {
        handle = await open(drives.shardPath(drive, key), constants.O_RDONLY | constants.O_NOFOLLOW);
        const bytes = Buffer.alloc(HEADER_BYTES);
        const { bytesRead } = await handle.read(bytes, 0, HEADER_BYTES, 0);
        const header = decodeHeader(bytes.subarray(0, bytesRead), `object '${key}' on drive ${drive}`);
        return { drive, handle, header };
      } catch (error) {
        await handle?.close();
        const code = (error as NodeJS.ErrnoException).code;
        return { drive, missing: code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP", error };
      }
    }),
  );
  const opened = attempts.filter((a): a is OpenShard => "header" in a);
  const byVersion = new Map<string, OpenShard[]>();
  for (const shard of opened) byVersion.set(shard.header.version, [...(byVersion.get(shard.header.version) ?? []), shard]);
  const quorate = [...byVersion.values()]
    .filter((group) => new Set(group.map((s) => s.header.index)).size >= (group[0] as OpenShard).header.dataShards)
    .sort((a, b) => (b[0] as OpenShard).header.mtime - (a[0] as OpenShard).header.mtime || ((b[0] as OpenShard).header.version < (a[0] as OpenShard).header.version ? -1 : 1));
  const chosen = quorate[0];
  const unused = opened.filter((s) => !chosen?.includes(s));
  await Promise.all(unused.map((s) => s.handle.close()));
  if (!chosen) {
    if (opened.length === 0 && attempts.every((a) => "missing" in a && a.missing)) throw new NotFoundError(`object '${key}' not found`);
    const best = Math.max(0, ...[...byVersion.values()].map((g) => g.length));
    const needed = opened[0]?.header.dataShards ?? "k";
    throw new DataLossError(`object '${key}' cannot be read: found ${best} matching shards of the ${needed} needed`);
  }
  const shards = new Map<number, OpenShard>();
  for (const shard of chosen) {
    if (shards.has(shard.header.index)) await shard.handle.close(); // a duplicate index (drives reordered): keep one
    else shards.set(shard.header.index, shard);
  }
  const holding = new Set([...shards.values()].map((s) => s.drive));
  return {
    header: (chosen[0] as OpenShard).header,
    shards,
    staleDrives: drives.roots.map((_r, d) => d).filter((d) => !holding.has(d)),
    close: async () => void (await Promise.all([...shards.values()].map((s) => s.handle.close()))),
  };
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
      parity: Buffer.allocUnsafe(Math.max(m, 1) * shardSize),
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
    await this.codec.rebuild(good.slice(0, k), missing, stripe.data, stripe.parity, shardSize);
    return stripe;
  }

  /** Reads and checks shard `index` of block `b` into its slot; returns what is wrong, if anything. */
  private async readShard(b: number, index: number, stripe: Stripe): Promise<string | undefined> {
    const shard = this.object.shards.get(index) as OpenShard;
    const k = this.object.header.dataShards;
    const slot = index < k ? stripe.data : stripe.parity;
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
