/**
 * One upload as a block blob: the body cut into blocks, a few staged at
 * once from reused buffers, and the block list committed last, with the
 * content's SHA-256 (hashed as the bytes stream) in the blob's metadata. We
 * stage blocks ourselves because Put Block List takes metadata but the
 * SDK's uploadStream wants it before the first byte, when no digest is
 * known yet. Nothing shows until the commit: staged blocks are invisible,
 * and Azure discards the uncommitted ones.
 */
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlockBlobClient } from "@azure/storage-blob";
import { ResourceExhaustedError } from "../../src/errors.ts";
import { GiB } from "../../src/units.ts";
import { PartBuffers, readParts } from "../body-parts.ts";
import { destroyOnAbort } from "../object-store.ts";

/** A block blob holds at most this many blocks (Azure's limit): 390 GiB at 8 MiB blocks. */
const MAX_BLOCKS = 50_000;

/** Azure metadata names must be C# identifiers: no hyphen, unlike the other stores' key. */
export const AZURE_SHA256_METADATA_KEY = "multistore_sha256";

export interface BlockUpload {
  blockBytes: number;
  blocksInFlight: number;
  signal?: AbortSignal;
  /** The body's SHA-256, hashed elsewhere (TransferOptions.sha256): the body is then not hashed here. */
  sha256?: Promise<string | undefined>;
}

/**
 * Stages `body` in blocks (readParts: reused buffers, the body hashed as it
 * is read) and commits them. Memory: blocksInFlight + 2 blocks (one being
 * filled, one held back to mark the last). A failure or
 * cancel stops every block in flight and commits nothing; destroying the
 * body on abort makes a cancel take effect at once.
 */
export async function uploadBlob(blob: BlockBlobClient, body: Readable, upload: BlockUpload): Promise<void> {
  const { blockBytes, blocksInFlight, signal, sha256: given } = upload;
  const undo = destroyOnAbort(body, signal);
  const stopping = new AbortController(); // the first failed block stops the others
  const stop = () => stopping.abort(signal?.reason);
  signal?.addEventListener("abort", stop, { once: true });
  const buffers = new PartBuffers(blockBytes);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const ids: string[] = [];
  // Equal-length ids (a blob's must be), unique to this upload: another upload's blocks never mix in.
  const prefix = randomUUID();
  const stage = (block: Buffer) => {
    if (ids.length === MAX_BLOCKS) {
      const most = Math.floor((MAX_BLOCKS * blockBytes) / GiB);
      throw new ResourceExhaustedError(`the artifact is larger than an Azure block blob holds (${most} GiB)`);
    }
    const id = Buffer.from(`${prefix}-${String(ids.length).padStart(6, "0")}`).toString("base64");
    ids.push(id);
    const staging = blob
      .stageBlock(id, block, block.length, { abortSignal: stopping.signal })
      .then(
        () => buffers.give(block), // a block that failed may still be read by a retry: never reused
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
    let sha256: string | undefined;
    for await (const part of readParts(body, buffers, blockBytes, !given)) {
      if (part.data.length > 0) stage(part.data);
      sha256 = part.sha256;
      while (inFlight.size >= blocksInFlight) await Promise.race(inFlight);
      if (failure) throw failure.error;
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    if (given) sha256 = await given;
    signal?.throwIfAborted(); // a cancel as the body ended publishes nothing
    await blob.commitBlockList(ids, {
      metadata: sha256 ? { [AZURE_SHA256_METADATA_KEY]: sha256 } : {},
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
