/**
 * A download that survives a dropped connection, for the object-store
 * drivers. Their SDKs retry a request until its headers arrive; a reset in
 * the middle of a large body would fail the whole transfer (and the Azure
 * SDK's own resume treats a server-side drop as a cancel). Here the body is
 * resumed from the byte where it broke by `reopen(offset)`, which the driver
 * pins to the same object version (ETag, generation), up to `maxRetries`
 * times with backoff and jitter. The length is checked at the end: a short
 * body is an error, never a smaller file.
 */
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

export interface ResumableReadOptions {
  /** The object's length, when the first response gave it; without it nothing can be resumed. */
  length: number | undefined;
  /** Opens the same object version again from byte `offset`. */
  reopen: (offset: number) => Promise<Readable>;
  maxRetries: number;
  signal?: AbortSignal;
  /** Folds an error that ends the stream into the plugin's errors. */
  mapError: (error: unknown) => Error;
}

const RESUMABLE_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "UND_ERR_SOCKET"]);

export function resumableRead(first: Readable, options: ResumableReadOptions): Readable {
  let body = first;
  const { length } = options;
  const resumable = (error: unknown): boolean => {
    if (options.signal?.aborted || length === undefined) return false; // our caller cancelled: not a network failure
    const e = error as { code?: string; name?: string; message?: string };
    return e.name === "AbortError" || RESUMABLE_CODES.has(e.code ?? "") || /^aborted$|socket hang up|premature close/i.test(e.message ?? "");
  };

  async function* resumed(): AsyncGenerator<Buffer> {
    let received = 0;
    let retries = 0;
    for (;;) {
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          received += chunk.length;
          yield chunk;
        }
        if (length === undefined || received === length) return;
        throw Object.assign(new Error(`the body ended after ${received} of ${length} bytes`), { code: "ECONNRESET" });
      } catch (error) {
        body.destroy();
        if (!resumable(error) || retries >= options.maxRetries) throw options.mapError(error);
        retries++;
        try {
          await sleep(Math.random() * Math.min(20_000, 100 * 2 ** retries), undefined, { signal: options.signal });
          body = await options.reopen(received);
        } catch (resumeError) {
          throw options.mapError(resumeError); // e.g. the object was replaced while being read
        }
      }
    }
  }

  const stream = Readable.from(resumed(), { objectMode: false, highWaterMark: 1024 * 1024 });
  // Cancelling the stream releases the connection of whichever response is current.
  stream.once("close", () => body.destroy());
  return stream;
}
