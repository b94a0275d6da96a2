/**
 * The store creates no drive and deletes nothing it did not write: a drive
 * that vanishes mid-Save stays vanished, the start-up sweep removes only its
 * own temp files, and version clean-up and deletes leave foreign files be.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEMP_PREFIX } from "../../drivers/local/layout.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, type TestStore } from "./helpers.ts";

let store: TestStore;
beforeEach(async () => {
  store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: "64KiB" });
});
afterEach(() => store.remove());

/** A body that sends `first`, waits for `gate`, then sends `rest`; `reached` resolves at the wait. */
function gatedBody(first: Buffer, rest: Buffer) {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  let reachedGate: () => void = () => {};
  const reached = new Promise<void>((resolve) => (reachedGate = resolve));
  const body = Readable.from(
    (async function* () {
      yield first;
      reachedGate();
      await gate;
      yield rest;
    })(),
    { objectMode: false },
  );
  return { body, reached, open };
}

/** Shard files of `key` per drive (0 where the drive or the key's folder is missing). */
const shardsPerDrive = (key: string) =>
  Promise.all(
    store.drives.map((d) =>
      readdir(path.join(d, "objects", key, "@shard")).then(
        (f) => f.length,
        () => 0,
      ),
    ),
  );

describe("the store creates no drive", () => {
  for (const how of ["removed", "moved away (an unmounted volume)"] as const) {
    it(`a drive root ${how} mid-Save stays gone; the object commits on the others`, async () => {
      const driver = store.open();
      await driver.stat("x").catch(() => {}); // the drives are identified
      const data = bytes(5 * 65536 + 17);
      const { body, reached, open } = gatedBody(data.subarray(0, 200_000), data.subarray(200_000));
      const saving = driver.put("mid/save.bin", body);
      await reached;
      const victim = store.drives[2] as string;
      if (how === "removed") await rm(victim, { recursive: true });
      else await rename(victim, `${victim}.away`);
      open();
      await saving;
      expect(existsSync(victim)).toBe(false);
      expect(await shardsPerDrive("mid/save.bin")).toEqual(store.drives.map((_d, i) => (i === 2 ? 0 : 1)));
      const reader = store.open();
      expect(sha256(await collect(await reader.get("mid/save.bin")))).toBe(sha256(data));
      await reader.dispose();
      expect(existsSync(victim)).toBe(false);
    });
  }

  it("never creates a drive that is missing when the store starts", async () => {
    await rm(store.drives[5] as string, { recursive: true });
    const driver = store.open();
    await driver.put("k", streamOf(Buffer.from("five drives are enough")));
    expect((await collect(await driver.get("k"))).toString()).toBe("five drives are enough");
    expect(existsSync(store.drives[5] as string)).toBe(false);
  });
});

describe("the store deletes nothing it did not write", () => {
  it("the start-up sweep removes only its own temp files of dead writers", async () => {
    await store.open().put("k", streamOf(Buffer.from("x")));
    const tmp = path.join(store.drives[0] as string, "tmp");
    const old = new Date(Date.now() - 2 * 3600_000);
    const uuid = (n: number) => `00000000-0000-0000-0000-00000000000${n}`;
    const files = {
      foreign: path.join(tmp, "notes.txt"),
      ownDead: path.join(tmp, `${TEMP_PREFIX}999999-${uuid(1)}`),
      ownLiveOld: path.join(tmp, `${TEMP_PREFIX}${process.ppid}-${uuid(2)}`),
      otherHostRecent: path.join(tmp, `otherpod-4026531836-7-${uuid(3)}`),
      otherHostOld: path.join(tmp, `otherpod-4026531836-8-${uuid(4)}`),
    };
    for (const file of Object.values(files)) await writeFile(file, "x");
    const socketFolder = path.join(tmp, "artifact-plugins");
    await mkdir(socketFolder);
    for (const file of [files.foreign, files.ownLiveOld, files.otherHostOld, socketFolder])
      await utimes(file, old, old);
    const driver = store.open();
    await driver.stat("k"); // the first call sweeps, in the background
    await driver.healAll(); // and every heal pass sweeps too
    expect((await readdir(tmp)).sort()).toEqual(
      ["artifact-plugins", "notes.txt", path.basename(files.otherHostRecent)].sort(),
    );
  });

  it("version clean-up and deletes leave files they did not write", async () => {
    const driver = store.open();
    await driver.put("k", streamOf(Buffer.from("one")));
    const folder = path.join(store.drives[0] as string, "objects", "k");
    await writeFile(path.join(folder, "@shard", "notes.txt"), "mine");
    await writeFile(path.join(folder, "README"), "mine too");
    await driver.put("k", streamOf(Buffer.from("two")));
    expect((await collect(await driver.get("k"))).toString()).toBe("two");
    await driver.delete("k");
    await expect(driver.get("k")).rejects.toThrow(/not found/);
    expect(await readdir(path.join(folder, "@shard"))).toEqual(["notes.txt"]);
    expect(await driver.heal("k")).toMatchObject({ state: "gone" });
    await stat(path.join(folder, "@shard", "notes.txt"));
    await stat(path.join(folder, "README"));
  });
});
