/** Streaming an object out of its shards, block by block, verified and rebuilt as needed. */
import { Readable } from "node:stream";
import { SMALL_PIECE_BYTES, STALLED_OUTPUT } from "../../src/concurrency.ts";
import { RECYCLE } from "../../src/driver.ts";
import { DataLossError, UnavailableError } from "../../src/errors.ts";
import { MiB } from "../../src/units.ts";
import { contentHasher } from "./bitrot.ts";
import { BlockWindow, lend, READ_BUFFERS, takeBack } from "./block-window.ts";
import type { DriveSet } from "./layout.ts";
import { type OpenObject, resolveObject } from "./resolve.ts";
import { StripeReader } from "./shards.ts";

/** Times a read looks for the object again after a block could not be read. */
const MAX_RELOOKS = 2;
/** Bytes handed to the consumer at a time: one gRPC frame. */
const PIECE_BYTES = MiB;
/**
 * A consumer that takes nothing for this long while other reads wait for
 * block buffers is stalled: the read lets go of its blocks meanwhile (and
 * reads them again when it resumes). Uncontended, only after IDLE_MS: a slow
 * consumer keeps its blocks, since re-reading would multiply the disk's work.
 */
const STALL_MS = 50;
const IDLE_MS = 5000;

/** Bad shards seen while reading, reported so they can be healed. */
export type DamageReport = (key: string, problems: string[]) => void;

/**
 * Opens `key` and returns its content as a stream, in pieces of at most
 * PIECE_BYTES. Each block reads k shards, preferring data shards, and checks
 * each one's hash before any of its bytes go out; a missing, short, corrupt
 * or misplaced shard is replaced by another and the data rebuilt from
 * parity. Blocks are read ahead within a byte budget (block-window.ts), and
 * let go while the consumer stalls.
 *
 * The read pins the version it opened (open files keep it even when another
 * process replaces it). If a block still cannot be read, for instance
 * because the version's files went stale on NFS, the object is looked up
 * again: the same version, still whole, goes on from that block; a new
 * version replaces it if nothing was delivered yet, and otherwise the read
 * fails as UNAVAILABLE (retry), never DATA_LOSS for data that is intact.
 */
export async function readObject(
  drives: DriveSet,
  key: string,
  onDamage: DamageReport,
  signal?: AbortSignal,
): Promise<Readable> {
  let object = await resolveObject(drives, key);

  async function* pieces(): AsyncGenerator<Buffer> {
    const dataIndexes = () => Array.from({ length: object.header.dataShards }, (_, i) => i);
    let content = contentHasher();
    let block = 0;
    let offset = 0; // bytes of `block` already delivered
    let relooks = 0;
    let waitingSince = 0; // since when the consumer has had a piece and not asked for the next
    /** Hashes a piece; the whole object's digest is checked before its last piece goes out. */
    const checked = (piece: Buffer, last: boolean): Buffer => {
      content.update(piece);
      // So a reassembly that passed every block check but is still wrong is never delivered whole.
      if (last && content.digest() !== object.header.digest) {
        relooks = MAX_RELOOKS; // the same bytes would come back: do not look again
        throw new DataLossError(`object '${key}' does not match its content digest after reassembly`);
      }
      waitingSince = performance.now();
      return piece;
    };
    for (;;) {
      const reader = new StripeReader(key, object);
      const window = new BlockWindow(reader, dataIndexes(), signal);
      // Waiting on the consumer for more than STALL_MS: let go of the blocks held.
      const watch = setInterval(() => {
        const waited = waitingSince > 0 ? performance.now() - waitingSince : 0;
        if (waited > IDLE_MS || (READ_BUFFERS.waiting && waited > STALL_MS)) window.drop();
      }, STALL_MS);
      watch.unref();
      try {
        try {
          while (block < reader.geometry.blocks) {
            const blockBytes = reader.geometry.blockBytes(block);
            while (offset < blockBytes) {
              // Small pieces while many consumers are stalled: a stalled read then holds little.
              const end = Math.min(blockBytes, offset + STALLED_OUTPUT.pieceBytes(PIECE_BYTES, SMALL_PIECE_BYTES));
              const last = block === reader.geometry.blocks - 1 && end === blockBytes;
              // Got again for every piece: a block let go during a stall is read (and checked) again.
              // The piece is yielded without a local: a generator keeps its locals while it waits
              // at a yield, and nothing here may refer to a piece, or to its block, while the
              // consumer stalls.
              yield checked(await pieceOf(window, block, offset, end, blockBytes), last);
              offset = end;
              waitingSince = 0;
            }
            offset = 0;
            window.advance(++block);
          }
          return;
        } finally {
          clearInterval(watch);
          await window.close();
          report(reader, object);
        }
      } catch (error) {
        if (!(error instanceof DataLossError) || relooks++ >= MAX_RELOOKS) throw error;
        const fresh = await resolveObject(drives, key).catch(() => undefined);
        if (!fresh) throw error;
        if (fresh.header.version !== object.header.version) {
          if (block > 0 || offset > 0) {
            await fresh.close();
            throw new UnavailableError(
              `object '${key}' was replaced by another write while being read; read it again`,
              { cause: error },
            );
          }
          content = contentHasher(); // nothing went out yet: read the new version from its start
        }
        await object.close();
        object = fresh;
      }
    }
  }

  /**
   * Bytes `start`..`end` of `block`: a whole block as it is when block buffers
   * are no larger than a piece, else a copy (a large buffer is reused, and a
   * small piece of it kept by the consumer must not keep it all). Either is
   * lent: given back through the stream's RECYCLE, it is reused.
   */
  const pieceOf = async (
    window: BlockWindow,
    block: number,
    start: number,
    end: number,
    blockBytes: number,
  ): Promise<Buffer> => {
    if (start === 0 && end === blockBytes && window.bufferBytes <= PIECE_BYTES) return window.handOut(block);
    const data = await window.get(block);
    const piece = lend(end - start);
    data.copy(piece, 0, start, end);
    return piece;
  };

  /** Damage seen by a reader goes to healing (drives that are away could not be healed anyway). */
  const report = (reader: StripeReader, seen: OpenObject) => {
    const problems = [...reader.bad.values()];
    if (problems.length > 0 || seen.staleDrives.length > 0) {
      onDamage(key, [...problems, ...seen.staleDrives.map((d) => `drive ${d} has no current shard`)]);
    }
  };

  const generator = pieces();
  // Read-ahead lives in the block window; a stream buffer of its own would only hold more, and
  // make a read() join two buffered pieces into a fresh copy.
  const stream = Object.assign(Readable.from(generator, { objectMode: false, highWaterMark: 0 }), {
    [RECYCLE]: takeBack,
  });
  // Closing the stream ends the generator (its `finally` settles reads in flight); then the files close.
  stream.once("close", () => void generator.return(undefined).finally(() => object.close()));
  if (signal) signal.addEventListener("abort", () => stream.destroy(signal.reason as Error), { once: true });
  return stream;
}
