/** Streaming an object out of its shards, block by block, verified and rebuilt as needed. */
import { Readable } from "node:stream";
import { DataLossError } from "../../src/errors.ts";
import { contentHasher } from "./bitrot.ts";
import type { DriveSet } from "./layout.ts";
import { openObject, StripeReader } from "./shards.ts";

/** Blocks being read ahead of the consumer. */
const READ_AHEAD = 3;

/** Bad shards seen while reading, reported so they can be healed. */
export type DamageReport = (key: string, problems: string[]) => void;

/**
 * Opens `key` (under its lock, so a commit is never seen half done) and
 * returns its content as a stream. Each block reads k shards, preferring data
 * shards; a missing, short or corrupt one is replaced by another and the data
 * rebuilt from parity. READ_AHEAD blocks are read ahead of the consumer.
 */
export async function readObject(
  drives: DriveSet,
  key: string,
  onDamage: DamageReport,
  signal?: AbortSignal,
): Promise<Readable> {
  const object = await drives.locks.with(key, () => openObject(drives, key));
  const reader = new StripeReader(key, object);
  const { dataShards: k, blockSize } = object.header;
  const dataIndexes = Array.from({ length: k }, (_, i) => i);
  // READ_AHEAD blocks are read at once (each a parallel read of k shard files), so the
  // disk, the hashing and any rebuilding of block n+1.. overlap the consumer of block n.
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  let delivered = 0;
  const content = contentHasher();
  const refill = () => {
    while (pending.length < READ_AHEAD && next < reader.geometry.blocks) {
      const read = reader.read(next++, dataIndexes).then((stripe) => stripe.data.subarray(0, stripe.blockBytes));
      read.catch(() => {}); // surfaced when its turn comes
      pending.push(read);
    }
  };
  const stream = new Readable({
    highWaterMark: 2 * blockSize,
    read() {
      refill();
      const head = pending.shift();
      if (!head) {
        this.push(null);
        return;
      }
      head.then(
        (data) => {
          content.update(data);
          // The whole object's digest is checked before its last block goes out, so a
          // reassembly that passed every block check but is still wrong is never delivered whole.
          if (++delivered === reader.geometry.blocks && content.digest() !== object.header.digest) {
            this.destroy(new DataLossError(`object '${key}' does not match its content digest after reassembly`));
            return;
          }
          this.push(data);
        },
        (error: unknown) => this.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      // Drives that are away (root missing) are not worth a heal: it could not reach them.
      const problems = [...reader.bad.values()];
      if (problems.length > 0 || object.staleDrives.length > 0) {
        onDamage(key, [...problems, ...object.staleDrives.map((d) => `drive ${d} has no current shard`)]);
      }
      // Close the shard files once reads in flight have settled.
      Promise.allSettled(pending).then(() => object.close()).then(() => callback(error), () => callback(error));
    },
  });
  if (signal) signal.addEventListener("abort", () => stream.destroy(signal.reason as Error), { once: true });
  return stream;
}
