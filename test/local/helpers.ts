/** Temp erasure-coded stores for the local backend's tests. */
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { HASH_BYTES } from "../../drivers/local/bitrot.ts";
import { type LocalConfigInput, localConfigSchema } from "../../drivers/local/config.ts";
import { HEADER_BYTES, shardSizeFor } from "../../drivers/local/format.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import type { HealingDriver, StagingDriver } from "../../src/driver.ts";

export interface TestStore {
  root: string;
  drives: string[];
  config: LocalConfigInput;
  /** A new driver over the same drives (as after a restart). */
  open(): HealingDriver & StagingDriver;
  /** Disposes every driver `open` made, then removes the drives. */
  remove(): Promise<void>;
}

export async function makeStore(drives: number, layout: Omit<LocalConfigInput, "drives"> = {}): Promise<TestStore> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ec-store-"));
  const paths = Array.from({ length: drives }, (_, i) => path.join(root, `d${i}`));
  for (const p of paths) await mkdir(p);
  const config = { drives: paths, ...layout };
  const opened: (HealingDriver & StagingDriver)[] = [];
  return {
    root,
    drives: paths,
    config,
    open: () => {
      const driver = createLocalDriver(localConfigSchema.parse(config));
      opened.push(driver);
      return driver;
    },
    // Drivers heal in the background (a replaced drive, damage a read saw): stop them first.
    remove: async () => {
      await Promise.all(opened.splice(0).map((driver) => driver.dispose()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The (single, current) shard file of `key` on drive `d` of a store. */
export function shardFile(store: TestStore, d: number, key: string): string {
  const dir = path.join(store.drives[d] as string, "objects", key, "@shard");
  const versions = readdirSync(dir);
  if (versions.length !== 1) throw new Error(`${dir} holds ${versions.length} versions`);
  return path.join(dir, versions[0] as string);
}

/** Every subset of {0..n-1} with exactly `size` members. */
export function subsetsOfSize(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << n; mask++) {
    const members = Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));
    if (members.length === size) out.push(members);
  }
  return out;
}

/** Where block `b`'s entry (32-byte hash, then shard) starts in a shard file of a k-data-shard layout. */
export function blockEntryOffset(blockSize: number, dataShards: number, b: number): number {
  return HEADER_BYTES + b * (HASH_BYTES + shardSizeFor(blockSize, dataShards));
}

/** Reads block `b`'s whole entry (hash and shard) of a full-block shard file. */
export async function readBlockEntry(file: string, blockSize: number, dataShards: number, b: number): Promise<Buffer> {
  const entry = Buffer.alloc(HASH_BYTES + shardSizeFor(blockSize, dataShards));
  const handle = await open(file, "r");
  try {
    await handle.read(entry, 0, entry.length, blockEntryOffset(blockSize, dataShards, b));
  } finally {
    await handle.close();
  }
  return entry;
}

/** Writes `entry` as block `b`'s entry: a misdirected write when it is another block's. */
export async function writeBlockEntry(
  file: string,
  blockSize: number,
  dataShards: number,
  b: number,
  entry: Buffer,
): Promise<void> {
  const handle = await open(file, "r+");
  try {
    await handle.write(entry, 0, entry.length, blockEntryOffset(blockSize, dataShards, b));
  } finally {
    await handle.close();
  }
}
