/**
 * Reading an object's block stripes with bitrot checks, falling back to
 * other shards and rebuilding from parity when a shard is missing, short,
 * corrupt or misplaced (a block hash binds version, shard and block:
 * bitrot.ts). Which version to read is resolve.ts's business.
 */
import { DataLossError } from "../../src/errors.ts";
import { HASH_BYTES } from "./bitrot.ts";
import { codecFor, type ErasureCodec } from "./codec.ts";
import { Geometry } from "./format.ts";
import type { OpenObject, OpenShard } from "./resolve.ts";

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
 * Reads stripes of an open object. A shard block that fails its check is
 * replaced by another shard for that block; a shard that fails to read (I/O
 * error, truncated) is dropped for the rest of the object. Shards the caller
 * wants that could not be read are rebuilt. So damage spread over more than
 * m shards, but at most m per block, still reads and heals.
 */
export class StripeReader {
  readonly geometry: Geometry;
  /** Shard indexes found damaged so far (in any block), with why. */
  readonly bad = new Map<number, string>();
  /** Shards that cannot be read at all any more. */
  private readonly dropped = new Set<number>();
  private readonly object: OpenObject;
  private readonly codec: ErasureCodec;
  private readonly key: string;

  constructor(key: string, object: OpenObject) {
    this.key = key;
    this.object = object;
    this.geometry = new Geometry(object.header);
    this.codec = codecFor(object.header.dataShards, object.header.parityShards);
  }

  /** Bytes of the data shards of a full block: what a buffer given to `read` must hold. */
  dataBytes(): number {
    return this.object.header.dataShards * this.geometry.fullShardSize;
  }

  /**
   * Returns block `b` with every index in `want` valid in the stripe. With
   * `verifyAll`, every available shard is read and checked (healing), not
   * just the k needed.
   */
  async read(b: number, want: readonly number[], verifyAll = false, into?: Buffer): Promise<Stripe> {
    const { dataShards: k, parityShards: m } = this.object.header;
    const shardSize = this.geometry.shardSize(b);
    const stripe: Stripe = {
      // `into`, when given, is a buffer of at least dataBytes() to read into (a reused one).
      data: into ? into.subarray(0, k * shardSize) : Buffer.allocUnsafe(k * shardSize),
      parity: EMPTY, // allocated on first use: a healthy read never needs it
      shardSize,
      blockBytes: this.geometry.blockBytes(b),
    };
    const good: number[] = [];
    const tried = new Set<number>();
    const candidates = () =>
      [...this.object.shards.keys()].filter((i) => !tried.has(i) && !this.dropped.has(i)).sort((x, y) => x - y);
    while (good.length < k || verifyAll) {
      const next = verifyAll ? candidates() : candidates().slice(0, k - good.length);
      if (next.length === 0) break;
      await Promise.all(
        next.map(async (index) => {
          tried.add(index);
          const problem = await this.readShard(b, index, stripe);
          if (!problem) return void good.push(index);
          this.bad.set(index, problem.reason);
          if (problem.unreadable) this.dropped.add(index);
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
  private async readShard(
    b: number,
    index: number,
    stripe: Stripe,
  ): Promise<{ reason: string; unreadable?: boolean } | undefined> {
    const shard = this.object.shards.get(index) as OpenShard;
    const k = this.object.header.dataShards;
    const slot = index < k ? stripe.data : withParity(stripe, this.object.header.parityShards);
    const start = (index < k ? index : index - k) * stripe.shardSize;
    const target = slot.subarray(start, start + stripe.shardSize);
    const hash = Buffer.allocUnsafe(HASH_BYTES);
    try {
      const { bytesRead } = await shard.handle.readv([hash, target], this.geometry.offset(b));
      if (bytesRead < HASH_BYTES + stripe.shardSize)
        return { reason: `shard ${index} on drive ${shard.drive} is truncated`, unreadable: true };
    } catch (error) {
      return { reason: `shard ${index} on drive ${shard.drive}: ${(error as Error).message}`, unreadable: true };
    }
    if (!shard.hash(b, target).equals(hash))
      return { reason: `shard ${index} on drive ${shard.drive}, block ${b} fails its bitrot check` };
    return undefined;
  }
}
