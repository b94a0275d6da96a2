/**
 * The one shard-file writer that new objects (writer.ts) and heals
 * (heal.ts) share (drivers/local/shard-file.ts): the stripe slice each
 * shard index gets, and a target that fails being dropped with its first
 * reason while the others go on.
 */
import { mkdtemp, open, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DriveSet } from "../../drivers/local/layout.ts";
import {
  appendShardBlock,
  liveTargets,
  onEachLive,
  openShardFile,
  removeShardFiles,
  type ShardTarget,
  shardOf,
} from "../../drivers/local/shard-file.ts";

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((f) => rm(f, { recursive: true, force: true })));
});

describe("shard files", () => {
  it("slices data shards, then parity shards, out of a stripe", () => {
    const stripe = { data: Buffer.from("aabbcc"), parity: Buffer.from("xxyy") };
    expect([0, 1, 2, 3, 4].map((i) => shardOf(stripe, 3, i, 2).toString())).toEqual(["aa", "bb", "cc", "xx", "yy"]);
  });

  it("drops a target that fails with its first reason, writes the others, and removes every temp file", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "shard-file-"));
    folders.push(root);
    const tmp = path.join(root, "tmp"); // not there yet: the first open makes it
    const drives = { tmpDir: () => tmp } as unknown as DriveSet;
    const targets: ShardTarget[] = [0, 1, 2].map((index) => ({
      index,
      drive: 0,
      temp: path.join(tmp, `shard-${index}`),
    }));
    for (const t of targets) await openShardFile(drives, t);
    // Shard 1's file handle can only read: its write fails, as a disk that went read-only does.
    await targets[1]?.handle?.close();
    (targets[1] as ShardTarget).handle = await open((targets[1] as ShardTarget).temp, "r");

    const hash = Buffer.alloc(32, 7);
    await onEachLive(targets, (t, handle) => appendShardBlock(handle, hash, Buffer.from(`block of ${t.index}`), 0));
    await onEachLive(targets, async () => {
      throw new Error("a second failure");
    });
    expect(targets.map((t) => t.failure)).toEqual([
      "a second failure",
      expect.stringMatching(/EBADF|bad file/i),
      "a second failure",
    ]);
    expect(liveTargets(targets)).toEqual([]);
    expect(targets.every((t) => t.handle === undefined)).toBe(true);
    expect((await readFile((targets[0] as ShardTarget).temp)).subarray(32).toString()).toBe("block of 0");

    await removeShardFiles(targets);
    await removeShardFiles(targets); // safe to repeat
    expect(await readdir(tmp)).toEqual([]);
  });
});
