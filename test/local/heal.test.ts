/** Healing: lost and damaged shards are rebuilt, after which every shard verifies. */
import { mkdir, open, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HEADER_BYTES } from "../../drivers/local/format.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, shardFile, type TestStore } from "./helpers.ts";

let store: TestStore;
beforeEach(async () => {
  store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: "64KiB" });
});
afterEach(() => store.remove());

const objects: Record<string, Buffer> = {
  "a.bin": bytes(300_000),
  "dir/b.bin": bytes(65536 * 4),
  "dir/deeper/c.bin": bytes(1),
  "empty.bin": Buffer.alloc(0),
};

async function fill(): Promise<void> {
  const driver = store.open();
  for (const [key, data] of Object.entries(objects)) await driver.put(key, streamOf(data));
}

describe("heal", () => {
  it("rebuilds a drive whose contents were deleted, then every object verifies on every drive", async () => {
    await fill();
    await rm(store.drives[3] as string, { recursive: true });
    await mkdir(store.drives[3] as string); // a replacement volume, empty
    const driver = store.open();
    const summary = await driver.healAll();
    expect(summary).toMatchObject({ objects: 4, healed: 4, unrecoverable: 0 });
    expect(summary.results.every((r) => r.state === "healed" && r.drives.includes(3))).toBe(true);

    const again = await store.open().healAll();
    expect(again).toMatchObject({ objects: 4, healthy: 4, healed: 0 });
    for (const [key, data] of Object.entries(objects)) {
      for (let d = 0; d < 6; d++) await stat(shardFile(store, d, key));
      // Lose any two other drives: the healed shards must carry the data.
      await rm(shardFile(store, 0, key));
      await rm(shardFile(store, 1, key));
      expect(sha256(await collect(await store.open().get(key)))).toBe(sha256(data));
    }
  });

  it("finds and rewrites a flipped byte and a truncated shard", async () => {
    await fill();
    const key = "a.bin";
    const handle = await open(shardFile(store, 2, key), "r+");
    await handle.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, HEADER_BYTES + 40);
    await handle.close();
    await (await open(shardFile(store, 5, key), "r+")).truncate(HEADER_BYTES + 500).then(() => undefined);
    const driver = store.open();
    const result = await driver.heal(key);
    expect(result.state).toBe("healed");
    expect(result.drives.sort()).toEqual([2, 5]);
    expect(result.detail).toMatch(/bitrot/);
    expect((await driver.heal(key)).state).toBe("healthy");
  });

  it("reports an object with fewer than k shards as unrecoverable, and a missing one as gone", async () => {
    await fill();
    for (const d of [0, 1, 2]) await rm(shardFile(store, d, "a.bin"));
    const driver = store.open();
    expect(await driver.heal("a.bin")).toMatchObject({ state: "unrecoverable" });
    expect(await driver.heal("never/written")).toMatchObject({ state: "gone" });
  });

  it("removes temp files left by a process that died, and keeps live ones", async () => {
    const tmp = path.join(store.drives[0] as string, "tmp");
    await mkdir(tmp, { recursive: true });
    const host = (await import("node:os")).hostname().replace(/[^A-Za-z0-9.]/g, "_");
    const dead = `${host}-999999-00000000-0000-0000-0000-000000000000`;
    const live = `${host}-${process.ppid}-00000000-0000-0000-0000-000000000001`;
    await writeFile(path.join(tmp, dead), "partial");
    await writeFile(path.join(tmp, live), "in progress");
    const summary = await store.open().healAll();
    expect(summary.tempFilesRemoved).toBe(1);
    expect(await readdir(tmp)).toEqual([live]);
  });

  it("heals in the background what a read found damaged", async () => {
    await fill();
    await rm(shardFile(store, 0, "dir/b.bin"));
    await rm(shardFile(store, 1, "dir/b.bin"));
    const driver = store.open();
    expect(sha256(await collect(await driver.get("dir/b.bin")))).toBe(sha256(objects["dir/b.bin"] as Buffer));
    await driver.dispose(); // waits for the background heal
    await stat(shardFile(store, 0, "dir/b.bin"));
    await stat(shardFile(store, 1, "dir/b.bin"));
  });
});
