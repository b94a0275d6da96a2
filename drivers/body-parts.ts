/**
 * A body cut into upload parts (S3 parts, Azure blocks) in reused buffers,
 * hashed as it is read: what the object stores' uploads share.
 */
import { createHash, type Hash } from "node:crypto";
import type { Readable } from "node:stream";
import { recyclerOf } from "../src/driver.ts";

export interface Part {
  data: Buffer;
  /** True when the body ended with this part. */
  last: boolean;
  /** The SHA-256 (hex) of the whole body, on the last part, when readParts was asked to hash it. */
  sha256?: string;
}

/**
 * Part-sized buffers, reused once their upload is done. Allocating a fresh
 * 16 MiB buffer per part would leave the old ones for V8 to collect when it
 * gets round to it, and memory would grow well past the parts in flight.
 */
export class PartBuffers {
  private readonly free: Buffer[] = [];
  private readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.size) this.free.push(buffer);
  }
}

/**
 * Cuts the body into parts of exactly `partSize` bytes (the last may be
 * shorter), copying into reused buffers. Reading pauses while the caller
 * holds a part, which is what bounds memory: the body is pulled only as fast
 * as parts are sent, and a part's buffer comes back with `buffers.give`.
 * With `hash`, the body's SHA-256 is taken chunk by chunk as it is read
 * (never a whole part at once on the event loop); without, the caller has
 * the digest from elsewhere (a worker hashing the file being sent).
 */
export async function* readParts(
  body: Readable,
  buffers: PartBuffers,
  partSize: number,
  hash: boolean,
): AsyncGenerator<Part> {
  const recycle = recyclerOf(body); // a chunk wholly copied goes back to the body (a file's read buffers)
  // Until a whole part has arrived the chunks are only collected, so a small object costs its own size, not a part buffer.
  let collected: Buffer[] | undefined = [];
  let current: Buffer | undefined;
  let filled = 0;
  let pending: Buffer | undefined;
  const sha256: Hash | undefined = hash ? createHash("sha256") : undefined;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    sha256?.update(chunk);
    if (collected) {
      if (filled + chunk.length < partSize) {
        collected.push(chunk);
        filled += chunk.length;
        continue;
      }
      current = buffers.take();
      let at = 0;
      for (const earlier of collected) {
        at += earlier.copy(current, at);
        recycle?.(earlier);
      }
      collected = undefined;
    }
    let offset = 0;
    while (offset < chunk.length) {
      current ??= buffers.take();
      const copied = chunk.copy(current, filled, offset);
      offset += copied;
      filled += copied;
      if (filled === partSize) {
        // A full part is held back one step so that the final part is marked `last`.
        if (pending) yield { data: pending, last: false };
        pending = current;
        current = undefined;
        filled = 0;
      }
    }
    recycle?.(chunk);
  }
  const whole = sha256 ? { sha256: sha256.digest("hex") } : {};
  if (collected) {
    yield { data: Buffer.concat(collected, filled), last: true, ...whole };
    return;
  }
  if (pending) yield { data: pending, last: filled === 0, ...(filled === 0 ? whole : {}) };
  if (filled > 0 && current) yield { data: current.subarray(0, filled), last: true, ...whole };
}
