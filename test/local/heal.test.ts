/** Healing: lost and damaged shards are rebuilt, after which every shard verifies. */
import { readdirSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { HEADER_BYTES } from "../../drivers/local/format.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { TEMP_PREFIX } from "../../drivers/local/layout.ts";
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
      const reader = store.open();
      expect(sha256(await collect(await reader.get(key)))).toBe(sha256(data));
      await reader.dispose(); // lets the heal that the read queued finish
    }
  });

  it("finds and rewrites a flipped byte and a truncated shard", async () => {
    await fill();
    const key = "a.bin";
    const handle = await open(shardFile(store, 2, key), "r+");
    await handle.write(Buffer.from([0xff, 0x00, 0xff]), 0, 3, HEADER_BYTES + 40);
    await handle.close();
    const truncated = await open(shardFile(store, 5, key), "r+");
    await truncated.truncate(HEADER_BYTES + 500);
    await truncated.close();
    const driver = store.open();
    const result = await driver.heal(key);
    expect(result.state).toBe("healed");
    expect(result.drives.sort()).toEqual([2, 5]);
    expect(result.detail).toMatch(/bitrot/);
    expect((await driver.heal(key)).state).toBe("healthy");
  });

  it("reports an object with fewer than k good shards as unrecoverable, and a missing one as gone", async () => {
    await fill();
    for (const d of [0, 1, 2]) {
      const handle = await open(shardFile(store, d, "a.bin"), "r+");
      await handle.write(Buffer.from("X"), 0, 1, 40);
      await handle.close();
    }
    const driver = store.open();
    expect(await driver.heal("a.bin")).toMatchObject({ state: "unrecoverable" });
    expect(await driver.heal("never/written")).toMatchObject({ state: "gone" });
  });

  it("keeps a delete made while drives were away: the object stays gone, and heal purges what is left", async () => {
    await fill();
    const away = [store.drives[4] as string, store.drives[5] as string];
    for (const d of away) await rename(d, `${d}.away`);
    await store.open().delete("a.bin"); // 4 of 6 drives confirm: the write quorum
    for (const d of away) await rename(`${d}.away`, d);
    const driver = store.open();
    await expect(driver.get("a.bin")).rejects.toThrow(/not found \(shards left on 2 of 6 drives/);
    const listed = [];
    for await (const o of driver.list("")) listed.push(o.key);
    expect(listed).not.toContain("a.bin");
    // The drives in sync vouch for the delete (drive identity): what the two missed goes.
    expect(await driver.heal("a.bin")).toMatchObject({
      state: "gone",
      drives: [4, 5],
      detail: "removed 2 shard files left by a delete made while drives were away",
    });
    for (const d of away) await expect(stat(path.join(d, "objects", "a.bin"))).rejects.toThrow();
    expect((await driver.healAll()).results).toEqual([]);
  });

  it("refuses a delete that too few drives confirm", async () => {
    await fill();
    const driver = store.open();
    await driver.stat("a.bin"); // the drives were there when the plugin started
    for (const d of [3, 4, 5]) await rm(store.drives[d] as string, { recursive: true });
    // The drives are gone before the delete could take its commit lease on a majority of them.
    await expect(driver.delete("a.bin")).rejects.toThrow(/3 of 6 drives usable, 4 needed/);
  });

  /** Drive 0 was away during a second write: it holds version one, the others version two. */
  async function driveZeroMissedAWrite(): Promise<string> {
    const driver = store.open();
    await driver.put("v.bin", streamOf(Buffer.from("version one")));
    const old = shardFile(store, 0, "v.bin");
    const saved = await readFile(old);
    await driver.put("v.bin", streamOf(Buffer.from("version two")));
    await rm(shardFile(store, 0, "v.bin"));
    await writeFile(old, saved);
    return old;
  }

  it("resolves drives that disagree by quorum, and heals the one holding an old version", async () => {
    const old = await driveZeroMissedAWrite();
    expect(await store.open().heal("v.bin")).toMatchObject({ state: "healed", drives: [0] });
    expect(readdirSync(path.dirname(old))).toHaveLength(1); // the old version's file is gone
    expect((await collect(await store.open().get("v.bin"))).toString()).toBe("version two");
  });

  it("a read that finds a drive holding an old version reads the new one and heals the drive", async () => {
    const old = await driveZeroMissedAWrite();
    const reader = store.open();
    expect((await collect(await reader.get("v.bin"))).toString()).toBe("version two");
    await reader.dispose(); // waits for the heal the read queued
    expect(readdirSync(path.dirname(old))).toEqual([path.basename(shardFile(store, 1, "v.bin"))]);
  });

  it("removes temp files left by a process that died, and keeps live ones", async () => {
    const tmp = path.join(store.drives[0] as string, "tmp");
    await mkdir(tmp, { recursive: true });
    const dead = `${TEMP_PREFIX}999999-00000000-0000-0000-0000-000000000000`;
    const live = `${TEMP_PREFIX}${process.ppid}-00000000-0000-0000-0000-000000000001`;
    await writeFile(path.join(tmp, dead), "partial");
    await writeFile(path.join(tmp, live), "in progress");
    const summary = await store.open().healAll();
    expect(summary.tempFilesRemoved).toBe(1);
    expect(await readdir(tmp)).toEqual([live]);
  });

  it("runs background passes every healIntervalMinutes, and none after dispose", async () => {
    const periodic = await makeStore(3);
    try {
      const tmp = path.join(periodic.drives[0] as string, "tmp");
      // Every 60 ms: below the 1 minute a configuration may ask for, which would make a slow test.
      const driver = createLocalDriver({ ...localConfigSchema.parse(periodic.config), healIntervalMinutes: 0.001 });
      await driver.put("x", streamOf(Buffer.from("x")));
      const dead = () =>
        writeFile(path.join(tmp, `${TEMP_PREFIX}999999-00000000-0000-0000-0000-00000000000a`), "partial");
      await dead();
      await vi.waitFor(async () => expect(await readdir(tmp)).toEqual([]), { timeout: 5_000, interval: 20 }); // a pass swept it
      await driver.dispose();
      await dead();
      await new Promise((r) => setTimeout(r, 300));
      expect(await readdir(tmp)).toHaveLength(1); // no pass after dispose
    } finally {
      await periodic.remove();
    }
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
