/** Temp erasure-coded stores for the local backend's tests. */
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { localConfigSchema, type LocalConfigInput } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import type { HealingDriver } from "../../src/driver.ts";

export interface TestStore {
  root: string;
  drives: string[];
  config: LocalConfigInput;
  /** A new driver over the same drives (as after a restart). */
  open(): HealingDriver;
  remove(): Promise<void>;
}

export async function makeStore(drives: number, layout: Omit<LocalConfigInput, "drives"> = {}): Promise<TestStore> {
  const root = await mkdtemp(path.join(os.tmpdir(), "ec-store-"));
  const paths = Array.from({ length: drives }, (_, i) => path.join(root, `d${i}`));
  for (const p of paths) await mkdir(p);
  const config = { drives: paths, ...layout };
  return {
    root,
    drives: paths,
    config,
    open: () => createLocalDriver(localConfigSchema.parse(config)),
    remove: () => rm(root, { recursive: true, force: true }),
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
