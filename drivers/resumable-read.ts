/**
 * A download that survives a dropped connection, for the object-store
 * drivers. Their SDKs retry a request until its headers arrive; a reset in
 * the middle of a large body would fail the whole transfer (and the Azure
 * SDK's own resume takes a server-side drop for a cancel). Here the body is
 * resumed from the byte where it broke by `reopen(offset)`, which the driver
 * pins to the same object version (ETag, generation), up to `maxRetries`
 * times with backoff and jitter. The length is checked at the end: a short
 * body is an error, never a smaller file.
 */
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { backoffMs } from "../src/concurrency.ts";
import { NotFoundError, UnavailableError } from "../src/errors.ts";

export interface ResumableReadOptions {
  /** The object's length, when the first response gave it; without it nothing can be resumed. */
  length: number | undefined;
  /** Opens the same object version again from byte `offset`; aborting `signal` gives it up. */
  reopen: (offset: number, signal: AbortSignal) => Promise<Readable>;
  maxRetries: number;
  signal?: AbortSignal;
  /** Folds an error that ends the stream into the plugin's errors. */
  mapError: (error: unknown) => Error;
  /**
   * A body that sends nothing this long while we wait for it is given up and
   * resumed (a silently dead connection would otherwise hold the call until
   * TCP gives up). Time the consumer spends not reading does not count.
   */
  idleMs?: number;
}

const DEFAULT_IDLE_MS = 120_000;
/** Why a backoff or reopen in flight ends: the stream was destroyed (nobody reads it any more). One error for all: its stack says nothing. */
const STREAM_DESTROYED = new Error("the stream was destroyed");

const RESUMABLE_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);
const RESUMABLE_MESSAGES = /^aborted$|socket hang up|premature close|received less data than required/i;

export function resumableRead(first: Readable, options: ResumableReadOptions): Readable {
  const { length } = options;
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  // Fires when our caller cancels or the stream is destroyed: ends a backoff or a reopen in flight.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const quiet = (body: Readable) => body.on("error", () => {}); // errors are read by the loop, never left unhandled
  let body = quiet(first);
  const resumable = (error: unknown): boolean => {
    if (signal.aborted || length === undefined) return false; // a cancel, not a network failure
    const e = error as { code?: string; name?: string; message?: string };
    return e.name === "AbortError" || RESUMABLE_CODES.has(e.code ?? "") || RESUMABLE_MESSAGES.test(e.message ?? "");
  };
  // After the first byte, "not found" means the object went away while being read.
  const fail = (error: unknown): Error => {
    const mapped = options.mapError(error);
    return mapped instanceof NotFoundError
      ? new UnavailableError(`${mapped.message}: it was deleted or replaced while being read`, { cause: error })
      : mapped;
  };

  async function* resumed(): AsyncGenerator<Buffer> {
    let received = 0;
    let retries = 0;
    for (;;) {
      try {
        const current = body;
        const chunks = (current as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
        const stalled = () =>
          current.destroy(Object.assign(new Error(`no data for ${idleMs / 1000} s`), { code: "ETIMEDOUT" }));
        for (;;) {
          const idle = setTimeout(stalled, idleMs); // armed only while we wait for the body, not the consumer
          let next: IteratorResult<Buffer>;
          try {
            next = await chunks.next();
          } finally {
            clearTimeout(idle);
          }
          if (next.done) break;
          received += next.value.length;
          yield next.value;
        }
        if (length === undefined || received === length) return;
        throw Object.assign(new Error(`the body ended after ${received} of ${length} bytes`), { code: "ECONNRESET" });
      } catch (error) {
        body.destroy();
        if (!resumable(error) || retries >= options.maxRetries) throw fail(error);
        retries++;
        try {
          await sleep(backoffMs(retries), undefined, { signal });
          body = quiet(await options.reopen(received, signal));
        } catch (resumeError) {
          throw fail(resumeError);
        }
      }
    }
  }

  // Chunks are kept as they came: in byte mode, a read() joins whatever is buffered into a fresh
  // copy, one more buffer per byte for the collector. 16 body chunks (~1 MiB) are read ahead.
  const stream = Readable.from(resumed(), { objectMode: true, highWaterMark: 16 });
  // On destroy, before the generator is asked to return (which waits for whatever it awaits):
  // end a backoff or reopen in flight, and release the connection of the current response.
  const destroyGenerator = stream._destroy.bind(stream);
  stream._destroy = (error, callback) => {
    stop.abort(STREAM_DESTROYED); // a reason of our own: abort() without one builds a DOMException and its stack, per object
    body.destroy();
    destroyGenerator(error, callback);
  };
  return stream;
}
