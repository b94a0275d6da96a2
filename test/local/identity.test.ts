/**
 * Drive identity: aliases of one folder, reordered drives and drives of
 * another store are refused by name; a replaced drive is recognised, healed
 * back into its position, and meanwhile never taken as evidence that objects
 * are gone (heal.test.ts has the purge of a delete's leftovers that this allows).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, rm, stat, symlink, unlink } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { DataLossError, InvalidConfigError } from "../../src/errors.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, shardFile, type TestStore } from "./helpers.ts";

let store: TestStore;
beforeEach(async () => {
  store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: "64KiB" });
});
afterEach(() => store.remove());

const objects: Record<string, Buffer> = {
  "a.bin": bytes(300_000),
  "dir/b.bin": bytes(70_000),
  "empty.bin": Buffer.alloc(0),
};

async function fill(): Promise<void> {
  const driver = store.open();
  for (const [key, data] of Object.entries(objects)) await driver.put(key, streamOf(data));
  await driver.dispose();
}

/** A driver over `drives` with the store's layout. */
const over = (drives: string[]) => createLocalDriver(localConfigSchema.parse({ ...store.config, drives }));

/** The error a first call on `driver` fails with. */
const firstError = (driver: ReturnType<typeof over>) =>
  driver.stat("a.bin").then(
    () => undefined,
    (e: unknown) => e,
  );

const marker = async (drive: string) =>
  JSON.parse(await readFile(path.join(drive, "format.json"), "utf8")) as {
    store: string;
    drive: string;
    drives: string[];
  };

describe("drive identity", () => {
  it("gives every drive a marker naming the store and its position", async () => {
    await fill();
    const markers = await Promise.all(store.drives.map(marker));
    expect(new Set(markers.map((m) => m.store)).size).toBe(1);
    for (const [i, m] of markers.entries()) expect(m.drives.indexOf(m.drive)).toBe(i);
  });

  it("refuses six links to one folder", async () => {
    const links = Array.from({ length: 6 }, (_, i) => path.join(store.root, `link${i}`));
    for (const link of links) await symlink(store.drives[0] as string, link);
    const error = await firstError(over(links));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toBe(
      `local.drives[1] (${links[1]}): is the same folder as local.drives[0] (${links[0]}), under another name (a link or a bind mount); list each drive once`,
    );
    expect(readdirSync(store.drives[0] as string)).toEqual([]); // nothing was written
  });

  it("refuses a bind mount of another drive", async () => {
    const bound = path.join(store.root, "bound");
    await mkdir(bound);
    execFileSync("mount", ["--bind", store.drives[0] as string, bound]);
    try {
      const error = await firstError(over([...store.drives.slice(0, 5), bound]));
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as Error).message).toMatch(
        /^local\.drives\[5\] \(.*bound\): is the same folder as local\.drives\[0\]/,
      );
    } finally {
      execFileSync("umount", [bound]);
    }
  });

  it("refuses drives under /proc, /sys or /dev, however they are spelled", async () => {
    for (const drive of ["/proc/self/root/tmp", "/sys/fs", "/dev/shm/x"]) {
      expect(() => localConfigSchema.parse({ drives: [drive] })).toThrow(
        /expected a drive outside \/proc, \/sys, \/dev/,
      );
    }
    const link = path.join(store.root, "into-proc");
    await symlink("/proc/self", link);
    const error = await firstError(createLocalDriver(localConfigSchema.parse({ drives: [link] })));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toMatch(
      /^local\.drives\[0\]: .*into-proc resolves to \/proc\/\d+, under \/proc, \/sys, \/dev, which the local store never uses$/,
    );
  });

  it("refuses drives listed in another order, naming where each belongs", async () => {
    await fill();
    const swapped = [store.drives[1], store.drives[0], ...store.drives.slice(2)] as string[];
    const error = await firstError(over(swapped));
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toBe(
      `local.drives[0] (${store.drives[1]}): is drive 1 of this store, not drive 0; list the drives in their original order`,
    );
  });

  it("refuses a drive of another store, and a store that changed its drive count", async () => {
    await fill();
    const other = await makeStore(6, { dataShards: 4, parityShards: 2 });
    try {
      const driver = createLocalDriver(localConfigSchema.parse(other.config));
      await driver.put("x", streamOf(Buffer.from("x")));
      const mixed = [...store.drives.slice(0, 5), other.drives[5]] as string[];
      const error = await firstError(over(mixed));
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as Error).message).toMatch(
        new RegExp(`^local\\.drives\\[5\\] \\(${other.drives[5]}\\): belongs to another store`),
      );
      await mkdir(path.join(store.root, "d6"));
      const seven = createLocalDriver(
        localConfigSchema.parse({ drives: [...store.drives, path.join(store.root, "d6")] }),
      );
      expect((await firstError(seven)) as Error).toMatchObject({
        message: expect.stringMatching(
          /^local\.drives: the store on these drives has 6 drives and the configuration lists 7/,
        ),
      });
    } finally {
      await other.remove();
    }
  });

  it("heals a replaced drive back into its position, then clears its flag", async () => {
    await fill();
    const before = await marker(store.drives[3] as string);
    await rm(store.drives[3] as string, { recursive: true });
    await mkdir(store.drives[3] as string); // a new, empty disk
    const driver = store.open();
    const summary = await driver.healAll(); // the pass the replaced drive started by itself
    expect(summary).toMatchObject({ objects: 3, healed: 3, unrecoverable: 0 });
    expect(await marker(store.drives[3] as string)).toEqual(before);
    expect(existsSync(path.join(store.drives[3] as string, "healing.json"))).toBe(false);
    for (const [key, data] of Object.entries(objects)) {
      await stat(shardFile(store, 3, key));
      await rm(shardFile(store, 0, key));
      await rm(shardFile(store, 1, key)); // the healed shard must carry the data
      const reader = store.open();
      expect(sha256(await collect(await reader.get(key)))).toBe(sha256(data));
      await reader.dispose(); // lets the heal that the read queued finish
    }
  });

  it("never takes replaced drives for evidence that an object is gone", async () => {
    await fill();
    // Three drives replaced at once (or three mounts that came up empty): a.bin is unreadable,
    // but its shards on the other drives must stay, pass after pass, for the real volumes' return.
    for (const d of [0, 1, 2]) {
      await rm(store.drives[d] as string, { recursive: true });
      await mkdir(store.drives[d] as string);
    }
    const driver = store.open();
    await expect(driver.get("a.bin")).rejects.toBeInstanceOf(DataLossError);
    for (let pass = 0; pass < 2; pass++) {
      const summary = await driver.healAll();
      expect(summary.unrecoverable).toBe(3);
      expect(summary.results.every((r) => r.state === "unrecoverable")).toBe(true);
      for (const d of [3, 4, 5]) for (const key of Object.keys(objects)) await stat(shardFile(store, d, key));
      for (const d of [0, 1, 2]) expect(existsSync(path.join(store.drives[d] as string, "healing.json"))).toBe(true);
    }
    await expect(store.open().get("a.bin")).rejects.toBeInstanceOf(DataLossError);
    await driver.dispose();
  });

  it("a drive that lost only its marker is flagged, still read, and healed", async () => {
    await fill();
    await unlink(path.join(store.drives[2] as string, "format.json"));
    const driver = store.open();
    expect(sha256(await collect(await driver.get("a.bin")))).toBe(sha256(objects["a.bin"] as Buffer));
    expect(existsSync(path.join(store.drives[2] as string, "format.json"))).toBe(true);
    const summary = await driver.healAll();
    expect(summary).toMatchObject({ objects: 3, unrecoverable: 0 });
    expect(existsSync(path.join(store.drives[2] as string, "healing.json"))).toBe(false);
  });

  it("adopts a store written before drive markers", async () => {
    await fill();
    for (const drive of store.drives) await unlink(path.join(drive, "format.json"));
    const driver = store.open();
    expect(sha256(await collect(await driver.get("dir/b.bin")))).toBe(sha256(objects["dir/b.bin"] as Buffer));
    const markers = await Promise.all(store.drives.map(marker));
    expect(new Set(markers.map((m) => m.store)).size).toBe(1);
    for (const drive of store.drives) expect(existsSync(path.join(drive, "healing.json"))).toBe(false);
  });
});
