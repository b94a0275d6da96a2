/**
 * The SHA-256 of an open file, hashed off the event loop: SHA-256 costs
 * about 1 CPU-second per GiB here (notes/performance.md), which on the
 * event loop would stall every other call for that long. A worker thread
 * reads the file itself through its descriptor (descriptors belong to the
 * process, so no byte crosses between threads) with positional reads that
 * leave the caller's handle as it was. Small files are hashed in place:
 * a worker round trip costs more than they do.
 *
 * The caller keeps the file open until the promise settles; a cancel makes
 * the worker stop at its next read, and the promise waits for that, so the
 * descriptor is never read after it is closed (and perhaps reused).
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { MiB } from "./units.ts";

/** Files up to this size are hashed on the event loop (about a millisecond). */
const IN_PLACE_BYTES = MiB;
/** Workers hashing at once (one per core, at least two); more files wait for one. */
export const WORKERS = Math.max(2, availableParallelism());

/**
 * The worker: `{ fd, size, algorithm, cancel }` in, the hex digest out, or null if the
 * file is not `size` bytes long. The next block is read (on the thread
 * pool) while this one is hashed. It replies only once no read is pending.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { read } = require("node:fs");
const { createHash } = require("node:crypto");
const BLOCK = 4 * 1024 * 1024;
const buffers = [Buffer.allocUnsafe(BLOCK), Buffer.allocUnsafe(BLOCK)];
const readAt = (fd, buffer, length, position) =>
  new Promise((resolve, reject) => read(fd, buffer, 0, length, position, (error, n) => (error ? reject(error) : resolve(n))));
async function digest(fd, size, algorithm, cancel) {
  const hash = createHash(algorithm);
  let position = 0;
  let current = 0;
  let pending = readAt(fd, buffers[0], Math.min(BLOCK, size) || 1, 0);
  try {
    while (position < size) {
      const n = await pending;
      pending = undefined;
      if (n === 0) return { digest: null };
      if (Atomics.load(cancel, 0) !== 0) return { cancelled: true };
      const block = buffers[current];
      position += n;
      current ^= 1;
      // The next block (or the byte past the end, which tells a file that grew) is read while this one hashes.
      pending = readAt(fd, buffers[current], position < size ? Math.min(BLOCK, size - position) : 1, position);
      hash.update(block.subarray(0, n));
    }
    const past = await pending;
    pending = undefined;
    return { digest: past > 0 || position > size ? null : hash.digest("hex") };
  } finally {
    await (pending && pending.catch(() => {}));
  }
}
parentPort.on("message", ({ fd, size, algorithm, cancel }) => {
  digest(fd, size, algorithm, cancel).then(
    (reply) => parentPort.postMessage(reply),
    (error) => parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } }),
  );
});
`;

interface Reply {
  digest?: string | null;
  /** Stopped by the caller's cancel: the signal's reason is the outcome. */
  cancelled?: boolean;
  error?: { message: string; code?: string };
}

/**
 * The SHA-256 (hex) of the `size` bytes of `handle`, or undefined when the
 * file does not hold exactly that many (it changed since it was opened).
 * Rejects with the read's error, or with the signal's reason once the
 * worker has stopped reading.
 */
export function sha256OfFile(handle: FileHandle, size: number, signal?: AbortSignal): Promise<string | undefined> {
  return digestOfFile(handle, size, "sha256", signal);
}

/** As sha256OfFile, with another algorithm (a store's MD5: a Load checks what it wrote against it). */
export async function digestOfFile(
  handle: FileHandle,
  size: number,
  algorithm: "sha256" | "md5",
  signal?: AbortSignal,
): Promise<string | undefined> {
  signal?.throwIfAborted();
  if (size <= IN_PLACE_BYTES) {
    const buffer = Buffer.allocUnsafe(size + 1);
    let read = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, read);
      if (bytesRead === 0 || read + bytesRead > size) {
        read += bytesRead;
        break;
      }
      read += bytesRead;
    }
    return read === size ? createHash(algorithm).update(buffer.subarray(0, size)).digest("hex") : undefined;
  }
  const reply = await pool.run(handle.fd, size, algorithm, signal);
  if (reply.error) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  signal?.throwIfAborted(); // cancelled, or as the last bytes were hashed
  return reply.digest ?? undefined;
}

/** A call waiting for a worker. */
interface Waiter {
  resolve(worker: Worker): void;
}

/**
 * One worker per core, started on first use and not keeping the process
 * alive while idle. A call waits for a free one; a cancelled call stops
 * waiting at once (it has read nothing yet).
 */
class HashPool {
  private readonly idle: Worker[] = [];
  private started = 0;
  private readonly waiting: Waiter[] = [];

  async run(fd: number, size: number, algorithm: string, signal?: AbortSignal): Promise<Reply> {
    const worker = await this.take(signal);
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const onAbort = () => Atomics.store(cancel, 0, 1);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) onAbort();
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const onMessage = (answer: Reply) => {
          worker.off("error", onError);
          resolve(answer);
        };
        const onError = (error: Error) => {
          worker.off("message", onMessage);
          reject(error);
        };
        worker.once("message", onMessage);
        worker.once("error", onError);
        worker.ref();
        worker.postMessage({ fd, size, algorithm, cancel });
      });
      this.give(worker);
      return reply;
    } catch (error) {
      // A worker that failed (out of memory) is not used again; a waiting call gets a new one.
      void worker.terminate();
      this.started--;
      const next = this.waiting.shift();
      if (next) next.resolve(this.start());
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  private take(signal?: AbortSignal): Promise<Worker> {
    signal?.throwIfAborted();
    const ready = this.idle.pop();
    if (ready) return Promise.resolve(ready);
    if (this.started < WORKERS) return Promise.resolve(this.start());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (worker) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(worker);
        },
      };
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private start(): Worker {
    this.started++;
    return new Worker(WORKER_SOURCE, { eval: true });
  }

  private give(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) {
      next.resolve(worker);
      return;
    }
    worker.unref();
    this.idle.push(worker);
  }
}

const pool = new HashPool();
