/**
 * The blocks a read holds: the one being delivered and a few read ahead,
 * bounded in bytes, each taken from a budget all reads of the process share,
 * in buffers reused across reads (so the budget is the memory, not the
 * memory plus garbage waiting for a collection). A read whose consumer stops
 * taking bytes drops what it holds (`drop`), and reads the block again,
 * verified again, when the consumer comes back: a stalled download then
 * costs nothing here, whatever the block size. A large block never leaves
 * the window (the consumer gets copies of its pieces); a small one is handed
 * over whole. Either is lent: a consumer that gives it back when done
 * (`takeBack`, a stream's RECYCLE) lets it be reused, so a Load to a file
 * makes no garbage per block; one that does not leaves it to the collector.
 */
import { ByteBudget } from "../../src/concurrency.ts";
import { MiB } from "../../src/units.ts";
import type { StripeReader } from "./shards.ts";

/** Bytes of blocks read ahead of the one being delivered (at least one block is always read). */
const READ_AHEAD_BYTES = 8 * MiB;
/** Read-ahead in blocks, at most (small blocks). */
const MAX_AHEAD = 3;
/** Block buffers of all local reads of this process together. */
export const READ_BUFFERS = new ByteBudget(32 * MiB);

/** Free block buffers by size, holding at most a quarter of the budget. */
const spare = new Map<number, Buffer[]>();
let spareBytes = 0;
function takeBuffer(size: number): Buffer {
  const buffer = spare.get(size)?.pop();
  if (!buffer) return Buffer.allocUnsafeSlow(size); // never a slice of Node's shared pool: lent ones are told apart by their memory
  spareBytes -= size;
  return buffer;
}
function giveBuffer(buffer: Buffer): void {
  if (spareBytes + buffer.length > READ_BUFFERS.capacity / 4) return; // let it go
  const list = spare.get(buffer.length);
  if (list) list.push(buffer);
  else spare.set(buffer.length, [buffer]);
  spareBytes += buffer.length;
}

/** Buffers lent to consumers, by their memory, with the length of the view lent: each taken back at most once. */
const lent = new WeakMap<ArrayBufferLike, { buffer: Buffer; length: number }>();

/** `length` bytes of a spare buffer, lent to the consumer. */
export function lend(length: number): Buffer {
  const buffer = takeBuffer(length);
  lent.set(buffer.buffer, { buffer, length });
  return buffer;
}

/**
 * A lent buffer back from the consumer, to be reused: only the very view that
 * was lent, never a slice of it (a stream that cut a piece off a chunk may
 * still hold the rest).
 */
export function takeBack(chunk: Buffer): void {
  const loan = lent.get(chunk.buffer);
  if (!loan || chunk.byteOffset !== loan.buffer.byteOffset || chunk.length !== loan.length) return;
  lent.delete(chunk.buffer);
  giveBuffer(loan.buffer);
}

interface Held {
  read: Promise<Buffer>;
  buffer: Buffer;
  release: () => void;
  /** Lent to the consumer whole (a small block): back only through takeBack. */
  handedOut?: boolean;
}

export class BlockWindow {
  private readonly reader: StripeReader;
  private readonly want: readonly number[];
  private readonly ahead: number;
  private readonly held = new Map<number, Held>();
  private readonly landing = new Set<Promise<unknown>>();
  private readonly signal: AbortSignal | undefined;

  /** `signal` ends a wait for block buffers (a cancelled download). */
  constructor(reader: StripeReader, want: readonly number[], signal?: AbortSignal) {
    this.reader = reader;
    this.want = want;
    this.signal = signal;
    const blockBytes = reader.geometry.blockBytes(0);
    this.ahead = Math.max(0, Math.min(MAX_AHEAD, Math.floor(READ_AHEAD_BYTES / Math.max(1, blockBytes))));
  }

  /** Block `b`'s bytes (read now if not held), with up to `ahead` blocks after it read in the background. */
  async get(b: number): Promise<Buffer> {
    const current = this.held.get(b) ?? this.start(b, await READ_BUFFERS.acquire(this.reader.dataBytes(), this.signal));
    // Read-ahead only from what the budget has spare: it never makes another read wait.
    for (let next = b + 1; next <= b + this.ahead && next < this.reader.geometry.blocks; next++) {
      if (this.held.has(next)) continue;
      const release = READ_BUFFERS.tryAcquire(this.reader.dataBytes());
      if (!release) break;
      this.start(next, release);
    }
    return current.read;
  }

  /** Bytes of each block buffer this window uses. */
  get bufferBytes(): number {
    return this.reader.dataBytes();
  }

  /**
   * Block `b` to give to the consumer as it is (a block no larger than a
   * piece): saves a copy; its buffer is then lent to the consumer, and
   * reused only once it comes back through takeBack.
   */
  async handOut(b: number): Promise<Buffer> {
    const data = await this.get(b);
    const entry = this.held.get(b);
    if (entry && !entry.handedOut) {
      entry.handedOut = true;
      lent.set(entry.buffer.buffer, { buffer: entry.buffer, length: data.length });
    }
    return data;
  }

  /** Done with every block before `b`. */
  advance(b: number): void {
    for (const [index, entry] of this.held) if (index < b) this.forget(index, entry);
  }

  /** Lets go of every block held (the consumer stalled); `get` reads them again. */
  drop(): void {
    for (const [index, entry] of this.held) this.forget(index, entry);
  }

  /** Waits for reads in flight, and releases everything. */
  async close(): Promise<void> {
    this.drop();
    await Promise.allSettled([...this.landing]);
  }

  private start(b: number, release: () => void): Held {
    const buffer = takeBuffer(this.reader.dataBytes());
    const read = this.reader
      .read(b, this.want, false, buffer)
      .then((stripe) => stripe.data.subarray(0, stripe.blockBytes));
    read.catch(() => {}); // surfaced by get()
    const entry = { read, buffer, release };
    this.held.set(b, entry);
    this.landing.add(read);
    void read.finally(() => this.landing.delete(read)).catch(() => {});
    return entry;
  }

  /** Forgets a block: its buffer and budget come back once its read has landed. */
  private forget(index: number, entry: Held): void {
    this.held.delete(index);
    const done = () => {
      if (!entry.handedOut) giveBuffer(entry.buffer);
      entry.release();
    };
    void entry.read.then(done, done);
  }
}
