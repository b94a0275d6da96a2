/**
 * One upload as a block blob: the body cut into blocks, a few staged at
 * once from reused buffers, and the block list committed last, with the
 * content's SHA-256 (hashed as the bytes stream) in the blob's metadata. We
 * stage blocks ourselves because Put Block List takes metadata but the
 * SDK's uploadStream wants it before the first byte, when no digest is
 * known yet. Nothing shows until the commit: staged blocks are invisible,
 * and Azure discards the uncommitted ones.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlockBlobClient } from "@azure/storage-blob";
import { recyclerOf } from "../../src/driver.ts";
import { ResourceExhaustedError } from "../../src/errors.ts";
import { GiB } from "../../src/units.ts";
import { destroyOnAbort } from "../object-store.ts";

/** A block blob holds at most this many blocks (Azure's limit): 390 GiB at 8 MiB blocks. */
const MAX_BLOCKS = 50_000;

/** Azure metadata names must be C# identifiers: no hyphen, unlike the other stores' key. */
export const AZURE_SHA256_METADATA_KEY = "multistore_sha256";

export interface BlockUpload {
  blockBytes: number;
  blocksInFlight: number;
  signal?: AbortSignal;
}

/**
 * Stages `body` in blocks and commits them. Memory: at most blocksInFlight
 * blocks (one being filled while the others are staged). A failure or
 * cancel stops every block in flight and commits nothing; destroying the
 * body on abort makes a cancel take effect at once.
 */
export async function uploadBlob(blob: BlockBlobClient, body: Readable, upload: BlockUpload): Promise<void> {
  const { blockBytes, blocksInFlight, signal } = upload;
  const undo = destroyOnAbort(body, signal);
  const stopping = new AbortController(); // the first failed block stops the others
  const stop = () => stopping.abort(signal?.reason);
  signal?.addEventListener("abort", stop, { once: true });
  const free: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const ids: string[] = [];
  // Equal-length ids (a blob's must be), unique to this upload: another upload's blocks never mix in.
  const prefix = randomUUID();
  const stage = (block: Buffer, length: number) => {
    if (ids.length === MAX_BLOCKS) {
      const most = Math.floor((MAX_BLOCKS * blockBytes) / GiB);
      throw new ResourceExhaustedError(`the artifact is larger than an Azure block blob holds (${most} GiB)`);
    }
    const id = Buffer.from(`${prefix}-${String(ids.length).padStart(6, "0")}`).toString("base64");
    ids.push(id);
    const staging = blob
      .stageBlock(id, block.subarray(0, length), length, { abortSignal: stopping.signal })
      .then(
        () => void free.push(block),
        (error: unknown) => {
          failure ??= { error };
          stopping.abort();
        },
      )
      .finally(() => inFlight.delete(staging));
    inFlight.add(staging);
  };
  try {
    signal?.throwIfAborted();
    const sha256 = createHash("sha256");
    const recycle = recyclerOf(body); // a chunk wholly copied goes back to the body (a file's read buffers)
    let block: Buffer | undefined;
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      sha256.update(chunk);
      for (let offset = 0; offset < chunk.length; ) {
        if (!block) {
          while (inFlight.size >= blocksInFlight) await Promise.race(inFlight);
          if (failure) throw failure.error;
          block = free.pop() ?? Buffer.allocUnsafe(blockBytes);
        }
        const take = Math.min(blockBytes - filled, chunk.length - offset);
        chunk.copy(block, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled === blockBytes) {
          stage(block, filled);
          block = undefined;
          filled = 0;
        }
      }
      recycle?.(chunk);
    }
    if (block && filled > 0) stage(block, filled);
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    signal?.throwIfAborted(); // a cancel as the body ended publishes nothing
    await blob.commitBlockList(ids, {
      metadata: { [AZURE_SHA256_METADATA_KEY]: sha256.digest("hex") },
      abortSignal: signal,
    });
  } catch (error) {
    stopping.abort();
    await Promise.allSettled(inFlight);
    if (signal?.aborted)
      throw Object.assign(new Error("the upload was cancelled", { cause: error }), { name: "AbortError" });
    throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
    undo();
  }
}
