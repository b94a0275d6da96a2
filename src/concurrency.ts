/** Bounded concurrency over an async stream of items, shared by transfers and drivers. */
import { MiB } from "./units.ts";

/**
 * Runs `work` over `items` with at most `limit` at once. The first failure
 * (of a task or of the iteration itself) aborts the other tasks' signal, and
 * is thrown once every task has settled: nothing keeps running after return.
 */
export async function forEachConcurrently<T>(
  items: AsyncIterable<T> | Iterable<T>,
  limit: number,
  work: (item: T, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", stop, { once: true });
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    controller.abort(error);
  };
  try {
    for await (const item of items) {
      if (failure || controller.signal.aborted) break;
      const task: Promise<void> = work(item, controller.signal).then(
        () => void running.delete(task),
        (error: unknown) => {
          running.delete(task);
          fail(error);
        },
      );
      running.add(task);
      if (running.size >= limit) await Promise.race(running);
    }
  } catch (error) {
    fail(error);
  } finally {
    await Promise.allSettled(running);
    outer?.removeEventListener("abort", stop);
  }
  if (failure) throw failure.error;
  outer?.throwIfAborted();
}

/**
 * A budget of bytes shared by many holders, first come first served: what
 * caps the buffer memory of all reads together. A request larger than the
 * whole budget is served alone (as if it asked for all of it).
 */
export class ByteBudget {
  readonly capacity: number;
  private used = 0;
  private readonly waiters: { bytes: number; grant: () => void }[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Whether anyone is waiting for bytes now. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * Waits until `bytes` fit, then takes them; resolves with their release
   * (safe to call twice). `signal` gives up the wait (rejects with its reason).
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const want = Math.min(bytes, this.capacity);
    signal?.throwIfAborted();
    if (this.waiters.length > 0 || this.used + want > this.capacity) {
      await new Promise<void>((grant, reject) => {
        const waiter = {
          bytes: want,
          grant: () => {
            signal?.removeEventListener("abort", abandon);
            grant();
          },
        };
        const abandon = () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(signal?.reason);
          this.grantWaiting(); // a smaller request behind us may fit now
        };
        signal?.addEventListener("abort", abandon, { once: true });
        this.waiters.push(waiter);
      });
    } else {
      this.used += want;
    }
    return this.releaser(want);
  }

  /** Takes `bytes` if they fit now and nobody is waiting; undefined otherwise. */
  tryAcquire(bytes: number): (() => void) | undefined {
    const want = Math.min(bytes, this.capacity);
    if (this.waiters.length > 0 || this.used + want > this.capacity) return undefined;
    this.used += want;
    return this.releaser(want);
  }

  private releaser(bytes: number): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
      this.grantWaiting();
    };
  }

  /** Grants waiting requests in order while they fit. */
  private grantWaiting(): void {
    for (let next = this.waiters[0]; next && this.used + next.bytes <= this.capacity; next = this.waiters[0]) {
      this.waiters.shift();
      this.used += next.bytes;
      next.grant();
    }
  }
}

/**
 * Bytes handed to consumers that have not taken them for a while: frames
 * HTTP/2 holds for a client that stopped reading, or reads slowly. While
 * they exceed `limit`, streams cut small pieces (`pieceBytes`), so each
 * further stalled consumer holds little: a thousand stalled downloads cost
 * about `limit` plus a thousand small pieces, not a thousand full frames.
 * Consumers that keep up are never counted and keep full-size pieces.
 */
export class StalledOutput {
  readonly limit: number;
  private readonly afterMs: number;
  private bytes = 0;

  constructor(limit: number, afterMs: number) {
    this.limit = limit;
    this.afterMs = afterMs;
  }

  /** Whether the stalled bytes are over the limit now. */
  get pressed(): boolean {
    return this.bytes > this.limit;
  }

  /** The size to cut the next piece at: `full`, or `small` while pressed. */
  pieceBytes(full: number, small: number): number {
    return this.pressed ? Math.min(full, small) : full;
  }

  /** Call when `bytes` are handed over; call what it returns when they are taken (or never will be). */
  watch(bytes: number): () => void {
    let counted = false;
    const timer = setTimeout(() => {
      counted = true;
      this.bytes += bytes;
    }, this.afterMs);
    timer.unref();
    return () => {
      clearTimeout(timer);
      if (counted) this.bytes -= bytes;
      counted = false;
    };
  }
}

/** Output of all streams of this process to consumers that stopped taking it (a frame not taken in 100 ms). */
export const STALLED_OUTPUT = new StalledOutput(8 * MiB, 100);
/** What streams cut their pieces at while STALLED_OUTPUT is pressed. */
export const SMALL_PIECE_BYTES = 64 * 1024;

/**
 * Exclusive locks per key, in this process: work for one key runs one call
 * after another, work for different keys at once. The local store holds one
 * while committing a key (and readers while opening its shard files); the
 * Azure driver serialises the writes of one blob.
 */
export class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * A promise made once and shared by every caller, forgotten if it fails so
 * that the next caller makes it again (a client whose CA file appears later,
 * a bucket created once a permission is granted). `make` gets the first
 * caller's arguments.
 */
export class UntilFailure<A extends unknown[], T> {
  private made: Promise<T> | undefined;
  private readonly make: (...args: A) => Promise<T>;

  constructor(make: (...args: A) => Promise<T>) {
    this.make = make;
  }

  get(...args: A): Promise<T> {
    if (this.made) return this.made;
    const attempt = this.make(...args);
    this.made = attempt;
    attempt.catch(() => {
      if (this.made === attempt) this.made = undefined;
    });
    return attempt;
  }

  /** The promise made, if any; `get` makes a new one after this. */
  forget(): Promise<T> | undefined {
    const made = this.made;
    this.made = undefined;
    return made;
  }
}

/**
 * How long to wait before retry `attempt` (0 for the first): "full jitter"
 * exponential backoff, a random time up to `baseMs`·2^attempt, at most
 * `capMs`, so that many clients failing together do not retry together.
 */
export function backoffMs(attempt: number, baseMs = 100, capMs = 20_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

/** Waits `ms`, or less if `signal` aborts (the caller then sees the abort). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
