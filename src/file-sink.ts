/**
 * Writing a driver's stream into a Load destination's file: batched writes
 * at the file's position, chunks given back to the source once written,
 * and a failure of our own disk told apart from a failure of the source.
 */
import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { recyclerOf, takeCheck } from "./driver.ts";
import { DataLossError } from "./errors.ts";
import { digestOfFile } from "./file-digest.ts";
import { localFsError } from "./local-paths.ts";
import { MiB } from "./units.ts";

/**
 * Objects up to this size are checked from the written file (read back from
 * the page cache, off the event loop); larger ones as they stream.
 */
const READ_BACK_MAX_BYTES = 64 * MiB;
/** Bytes written to a Load destination at a time. */
const IO_CHUNK = MiB;

/**
 * Streams `source` into a file `create` opens (for reading and writing);
 * returns the bytes written. A source that checks its bytes against the
 * object's digest hands that check over (takeCheck, objects up to
 * READ_BACK_MAX_BYTES): the written file is
 * hashed by a worker before it is closed, off the event loop, and a
 * mismatch fails with the source's DATA_LOSS. The file is a Load's staged
 * one, published only once the whole artifact is in, so no consumer ever
 * sees a wrong one.
 */
export async function download(
  source: Readable,
  create: () => Promise<FileHandle>,
  signal?: AbortSignal,
): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await create();
  } catch (error) {
    source.destroy();
    throw error;
  }
  let closed = false;
  const check = takeCheck(source, READ_BACK_MAX_BYTES);
  try {
    const bytes = await writeAll(source, handle, signal);
    if (check) {
      const actual = await digestOfFile(handle, bytes, check.algorithm, signal).catch((error: unknown) => {
        throw new SinkError(error);
      });
      if (actual === undefined)
        throw new DataLossError(`the Load's file did not hold the ${bytes} bytes written to it`);
      if (actual !== check.expected) throw check.damaged(actual);
    }
    closed = true;
    await handle.close().catch((error: unknown) => {
      throw new SinkError(error);
    });
    return bytes;
  } catch (error) {
    // A failure writing our own disk (full, read-only) says so; a failure of the source stays as it is.
    throw error instanceof SinkError ? localFsError(error.cause, "the Load path") : error;
  } finally {
    if (!closed) await handle.close().catch(() => {});
  }
}

/** A write to the Load destination failed (as opposed to the source). */
class SinkError extends Error {
  constructor(cause: unknown) {
    super("write failed", { cause });
  }
}

/**
 * Writes every chunk of `source` at the file's position, about IO_CHUNK at a
 * time (one writev of the chunks read meanwhile), and gives each chunk back
 * to the source once written (RECYCLE). A plain loop rather than
 * `pipeline()` into an `fs.WriteStream`: those build an Error with its stack
 * per file (an abort at every finish, a "stream already finished" at close),
 * the largest per-file cost of a directory Load of small files.
 */
async function writeAll(source: Readable, handle: FileHandle, signal?: AbortSignal): Promise<number> {
  const recycle = recyclerOf(source);
  const abort = () => source.destroy(signal?.reason as Error);
  signal?.addEventListener("abort", abort, { once: true });
  let written = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async () => {
    try {
      await writeFully(handle, batch);
    } catch (error) {
      throw new SinkError(error);
    }
    written += batchBytes;
    if (recycle) for (const chunk of batch) recycle(chunk);
    batch = [];
    batchBytes = 0;
  };
  try {
    signal?.throwIfAborted();
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (chunk.length === 0) continue;
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= IO_CHUNK) await flush();
    }
    if (batchBytes > 0) await flush();
    return written;
  } finally {
    signal?.removeEventListener("abort", abort);
  }
}

/** Writes all of `chunks` (none empty) at the file's position, going on after a short write. */
async function writeFully(handle: FileHandle, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    if (bytesWritten === 0) throw Object.assign(new Error("the file took no bytes"), { code: "EIO" }); // never spin
    let i = 0;
    while (i < rest.length && bytesWritten >= rest[i]!.length) bytesWritten -= rest[i++]!.length;
    rest = rest.slice(i);
    if (bytesWritten > 0) rest[0] = rest[0]!.subarray(bytesWritten);
  }
}
