/** Streaming an object out of its shards, block by block, verified and rebuilt as needed. */
import { Readable } from "node:stream";
import type { DriveSet, KeyLocks } from "./layout.ts";
import { openObject, StripeReader } from "./shards.ts";

/** Bad shards seen while reading, reported so they can be healed. */
export type DamageReport = (key: string, problems: string[]) => void;

/**
 * Opens `key` (under its lock, so a commit is never seen half done) and
 * returns its content as a stream. Each block reads k shards, preferring data
 * shards; a missing, short or corrupt one is replaced by another and the data
 * rebuilt from parity. Two blocks are read ahead of the consumer.
 */
export async function readObject(
  drives: DriveSet,
  locks: KeyLocks,
  key: string,
  onDamage: DamageReport,
  signal?: AbortSignal,
): Promise<Readable> {
  const object = await locks.with(key, () => openObject(drives, key));
  const reader = new StripeReader(key, object);
  const { dataShards: k, blockSize } = object.header;
  const dataIndexes = Array.from({ length: k }, (_, i) => i);
  let block = 0;
  const stream = new Readable({
    highWaterMark: 2 * blockSize,
    read() {
      if (block >= reader.geometry.blocks) {
        this.push(null);
        return;
      }
      const b = block++;
      reader.read(b, dataIndexes).then(
        (stripe) => this.push(stripe.data.subarray(0, stripe.blockBytes)),
        (error: unknown) => this.destroy(error as Error),
      );
    },
    destroy(error, callback) {
      const problems = [...reader.bad.values()];
      if (problems.length > 0 || object.staleDrives.length > 0) {
        onDamage(key, [...problems, ...object.staleDrives.map((d) => `drive ${d} has no current shard`)]);
      }
      object.close().then(() => callback(error), () => callback(error));
    },
  });
  if (signal) signal.addEventListener("abort", () => stream.destroy(signal.reason as Error), { once: true });
  return stream;
}
