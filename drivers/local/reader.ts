/** Streaming an object out of its shards, block by block, verified and rebuilt as needed. */
import { Readable } from "node:stream";
import { DataLossError, UnavailableError } from "../../src/errors.ts";
import { contentHasher } from "./bitrot.ts";
import type { DriveSet } from "./layout.ts";
import { resolveObject, type OpenObject } from "./resolve.ts";
import { StripeReader } from "./shards.ts";

/** Blocks being read ahead of the consumer. */
const READ_AHEAD = 3;
/** Times a read looks for the object again after a block could not be read. */
const MAX_RELOOKS = 2;

/** Bad shards seen while reading, reported so they can be healed. */
export type DamageReport = (key: string, problems: string[]) => void;

/**
 * Opens `key` and returns its content as a stream. Each block reads k
 * shards, preferring data shards, and checks each one's hash before any of
 * its bytes go out; a missing, short, corrupt or misplaced shard is replaced
 * by another and the data rebuilt from parity. READ_AHEAD blocks are read
 * ahead of the consumer.
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

  async function* blocks(): AsyncGenerator<Buffer> {
    const dataIndexes = () => Array.from({ length: object.header.dataShards }, (_, i) => i);
    let content = contentHasher();
    let block = 0;
    let relooks = 0;
    for (;;) {
      const reader = new StripeReader(key, object);
      const pending: Promise<Buffer>[] = [];
      let next = block;
      try {
        try {
          while (block < reader.geometry.blocks) {
            // READ_AHEAD blocks at once (each a parallel read of k shard files), so the disk,
            // the hashing and any rebuilding of block n+1.. overlap the consumer of block n.
            while (pending.length < READ_AHEAD && next < reader.geometry.blocks) {
              const read = reader.read(next++, dataIndexes()).then((stripe) => stripe.data.subarray(0, stripe.blockBytes));
              read.catch(() => {}); // surfaced when its turn comes
              pending.push(read);
            }
            const data = await (pending.shift() as Promise<Buffer>);
            content.update(data);
            // The whole object's digest is checked before its last block goes out, so a
            // reassembly that passed every block check but is still wrong is never delivered whole.
            if (++block === reader.geometry.blocks && content.digest() !== object.header.digest) {
              relooks = MAX_RELOOKS; // the same bytes would come back: do not look again
              throw new DataLossError(`object '${key}' does not match its content digest after reassembly`);
            }
            yield data;
          }
          return;
        } finally {
          await Promise.allSettled(pending);
          report(reader, object);
        }
      } catch (error) {
        if (!(error instanceof DataLossError) || relooks++ >= MAX_RELOOKS) throw error;
        const fresh = await resolveObject(drives, key).catch(() => undefined);
        if (!fresh) throw error;
        if (fresh.header.version !== object.header.version) {
          if (block > 0) {
            await fresh.close();
            throw new UnavailableError(`object '${key}' was replaced by another write while being read; read it again`, { cause: error });
          }
          content = contentHasher(); // nothing went out yet: read the new version from its start
        }
        await object.close();
        object = fresh;
      }
    }
  }

  /** Damage seen by a reader goes to healing (drives that are away could not be healed anyway). */
  const report = (reader: StripeReader, seen: OpenObject) => {
    const problems = [...reader.bad.values()];
    if (problems.length > 0 || seen.staleDrives.length > 0) {
      onDamage(key, [...problems, ...seen.staleDrives.map((d) => `drive ${d} has no current shard`)]);
    }
  };

  const generator = blocks();
  // Read-ahead lives in the generator (READ_AHEAD blocks in flight); a stream buffer of its own
  // would only make a read() join two buffered blocks into a fresh copy.
  const stream = Readable.from(generator, { objectMode: false, highWaterMark: 1 });
  // Closing the stream ends the generator (its `finally` settles reads in flight); then the files close.
  stream.once("close", () => void generator.return(undefined).finally(() => object.close()));
  if (signal) signal.addEventListener("abort", () => stream.destroy(signal.reason as Error), { once: true });
  return stream;
}
