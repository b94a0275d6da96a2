/**
 * A directory Save as one unit on the local store (drivers/local/staging.ts):
 * nothing staged is visible or left behind unless committed, staging holds no
 * file descriptors, heal passes leave staged files alone, and a commit that
 * loses its shards keeps the old version.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { NotFoundError, UnavailableError } from "../../src/errors.ts";
import { bytes, collect, failingStream, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, type TestStore } from "./helpers.ts";

const stores: TestStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.remove()));
});
async function store4plus2(): Promise<TestStore> {
  const store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: 64 * 1024 });
  stores.push(store);
  return store;
}
/** Our temp files on every drive (the drive's `tmp/` also holds leases' folders, not files of ours). */
async function tempFiles(store: TestStore): Promise<string[]> {
  const all = await Promise.all(store.drives.map((d) => readdir(path.join(d, "tmp")).catch(() => [] as string[])));
  return all.flat();
}
const openFds = async () => (await readdir("/proc/self/fd")).length;

describe("local staged puts", () => {
  it("publish nothing before commit, then every object at once", async () => {
    const store = await store4plus2();
    const driver = store.open();
    await driver.put("dir/a", streamOf(Buffer.from("old a")));
    const staged = driver.stage();
    const data = bytes(300_000);
    await staged.put("dir/a", streamOf(Buffer.from("new a")));
    await staged.put("dir/b", streamOf(data));
    expect((await collect(await driver.get("dir/a"))).toString()).toBe("old a");
    await expect(driver.stat("dir/b")).rejects.toBeInstanceOf(NotFoundError);
    const listed: string[] = [];
    for await (const o of driver.list("dir/")) listed.push(o.key);
    expect(listed).toEqual(["dir/a"]);
    await staged.commit();
    await staged.discard();
    expect((await collect(await driver.get("dir/a"))).toString()).toBe("new a");
    expect(sha256(await collect(await driver.get("dir/b")))).toBe(sha256(data));
    expect(await tempFiles(store)).toEqual([]);
  });

  it("leave no temp file and no object when discarded, and refuse puts after", async () => {
    const store = await store4plus2();
    const driver = store.open();
    const staged = driver.stage();
    for (let i = 0; i < 10; i++) await staged.put(`gone/${i}`, streamOf(bytes(100_000)));
    await expect(staged.put("gone/bad", failingStream(bytes(200_000)))).rejects.toThrow();
    expect((await tempFiles(store)).length).toBe(10 * 6);
    await staged.discard();
    expect(await tempFiles(store)).toEqual([]);
    for await (const o of driver.list("gone/")) expect.fail(`${o.key} is visible`);
    const late = streamOf(Buffer.from("late"));
    await expect(staged.put("gone/late", late)).rejects.toThrow(/discarded/);
    expect(late.destroyed).toBe(true);
  });

  it("hold no file descriptor per staged object", async () => {
    const store = await store4plus2();
    const driver = store.open();
    await driver.put("warm", streamOf(Buffer.from("x"))); // drives attached, leases folder made
    const before = await openFds();
    const staged = driver.stage();
    for (let i = 0; i < 200; i++) await staged.put(`many/${i}`, streamOf(bytes(1000)));
    expect(await openFds()).toBeLessThan(before + 12); // 200 objects x 6 drives would be 1,200
    await staged.commit();
    await staged.discard();
    let count = 0;
    for await (const _o of driver.list("many/")) count++;
    expect(count).toBe(200);
  });

  it("survive a heal pass while staged", async () => {
    const store = await store4plus2();
    const driver = store.open();
    const staged = driver.stage();
    const data = bytes(500_000);
    await staged.put("healed/x", streamOf(data));
    const summary = await driver.healAll();
    expect(summary.tempFilesRemoved).toBe(0);
    await staged.commit();
    expect(sha256(await collect(await driver.get("healed/x")))).toBe(sha256(data));
  });

  it("keep the old version when a commit finds its staged shards gone", async () => {
    const store = await store4plus2();
    const driver = store.open();
    await driver.put("lost/x", streamOf(Buffer.from("old")));
    const staged = driver.stage();
    await staged.put("lost/x", streamOf(Buffer.from("new")));
    // Three drives' temp files vanish (a volume wiped): below the write quorum of four.
    for (const d of store.drives.slice(0, 3)) {
      for (const name of await readdir(path.join(d, "tmp"))) await rm(path.join(d, "tmp", name), { force: true });
    }
    await expect(staged.commit()).rejects.toBeInstanceOf(UnavailableError);
    await staged.discard();
    expect((await collect(await driver.get("lost/x"))).toString()).toBe("old");
    expect(await tempFiles(store)).toEqual([]);
  });
});

describe("local staged puts past the staging limit", () => {
  it("commit each further object at once, keeping the ones staged before unseen", async () => {
    const store = await store4plus2();
    const driver = createLocalDriver(localConfigSchema.parse(store.config), { maxStaged: 3 });
    try {
      const staged = driver.stage();
      for (let i = 0; i < 5; i++) await staged.put(`big/${i}`, streamOf(Buffer.from(`v${i}`)));
      const visible: string[] = [];
      for await (const o of driver.list("big/")) visible.push(o.key);
      expect(visible.sort()).toEqual(["big/3", "big/4"]);
      await staged.commit();
      for (let i = 0; i < 5; i++) expect((await collect(await driver.get(`big/${i}`))).toString()).toBe(`v${i}`);
      await staged.discard();
      expect(await tempFiles(store)).toEqual([]);
    } finally {
      await driver.dispose();
    }
  });
});
