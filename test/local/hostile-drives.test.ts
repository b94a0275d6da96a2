/**
 * Drives that someone else can write to (a shared volume a workflow mounts):
 * FIFOs where shards, markers or leases belong never hang a call; links
 * never lead the store outside its drives or its allowed roots; a
 * format.json that is not ours is refused and left as it is.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { InvalidConfigError, PermissionDeniedError } from "../../src/errors.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, type TestStore } from "./helpers.ts";

let store: TestStore;
beforeEach(async () => {
  store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: "64KiB" });
});
afterEach(() => store.remove());

const mkfifo = (file: string) => execFileSync("mkfifo", [file]);
/** Fails the test instead of hanging it: a FIFO opened for reading blocks until a writer comes. */
const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)),
  ]);

describe("FIFOs on the drives", () => {
  it("a FIFO among an object's shard files is damage, not a hang", async () => {
    const data = bytes(200_000);
    const driver = store.open();
    await driver.put("k", streamOf(data));
    for (const d of [0, 1]) {
      const shards = path.join(store.drives[d] as string, "objects", "k", "@shard");
      mkfifo(path.join(shards, "999999999999999-00000000-0000-0000-0000-000000000000"));
      mkfifo(path.join(shards, "not-a-version"));
    }
    const reader = store.open();
    expect(sha256(await within(5000, collect(await within(5000, reader.get("k")))))).toBe(sha256(data));
    expect((await within(5000, reader.stat("k"))).size).toBe(200_000);
    await within(5000, reader.put("k", streamOf(data))); // older-version clean-up skips them unharmed, or removes ours
    await within(5000, reader.delete("k"));
    await expect(within(5000, reader.get("k"))).rejects.toThrow(/not found/);
  });

  it("a FIFO for a format.json takes that drive offline, and the rest serve", async () => {
    await store.open().put("k", streamOf(Buffer.from("still here")));
    const marker = path.join(store.drives[3] as string, "format.json");
    await rename(marker, `${marker}.saved`);
    mkfifo(marker);
    const reader = store.open();
    expect((await within(5000, collect(await within(5000, reader.get("k"))))).toString()).toBe("still here");
  });

  it("a FIFO for a lease file leaves that drive out of the lease, and writes go on", async () => {
    const driver = store.open();
    await driver.put("k", streamOf(Buffer.from("one")));
    mkfifo(path.join(store.drives[0] as string, "locks", createHash("sha256").update("k").digest("hex")));
    await within(5000, driver.put("k", streamOf(Buffer.from("two"))));
    expect((await collect(await driver.get("k"))).toString()).toBe("two");
  });
});

describe("links on the drives", () => {
  it("a link planted in a key's folders never leads a write or a delete outside the drive", async () => {
    const outside = path.join(store.root, "outside");
    await mkdir(outside);
    const driver = store.open();
    await driver.put("first", streamOf(Buffer.from("x"))); // the drives are set up
    await mkdir(path.join(store.drives[0] as string, "objects", "runs"));
    await symlink(outside, path.join(store.drives[0] as string, "objects", "runs", "7"));
    await driver.put("runs/7/out.tgz", streamOf(Buffer.from("data"))); // five drives take it
    expect(await readdir(outside)).toEqual([]);
    expect((await collect(await driver.get("runs/7/out.tgz"))).toString()).toBe("data");
    await driver.delete("runs/7/out.tgz"); // the linked drive does not confirm; five do
    expect(await readdir(outside)).toEqual([]);
  });

  it("a drive that is a link out of the allowed roots is refused before anything is written there", async () => {
    const allowed = path.join(store.root, "allowed");
    const elsewhere = path.join(store.root, "elsewhere");
    await mkdir(allowed);
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(allowed, "drive"));
    const driver = createLocalDriver(localConfigSchema.parse({ drives: [path.join(allowed, "drive")] }), {
      allowedRoots: [allowed],
    });
    const error = await driver.stat("k").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect((error as Error).message).toBe(
      `local.drives[0]: ${path.join(allowed, "drive")} (at ${elsewhere}) is not under a folder this plugin allows (MULTISTORE_LOCAL_DRIVES)`,
    );
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe("a format.json that is not ours", () => {
  it("is refused by name and left untouched", async () => {
    const foreign = path.join(store.drives[4] as string, "format.json");
    await writeFile(foreign, '{"format": {"xl": {"this": "minio"}}}\n');
    const error = await store
      .open()
      .stat("k")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toBe(
      `local.drives[4] (${store.drives[4]}): holds a format.json that is not this store's; is this the right folder?`,
    );
    expect(await readFile(foreign, "utf8")).toBe('{"format": {"xl": {"this": "minio"}}}\n');
    expect(existsSync(path.join(store.drives[0] as string, "format.json"))).toBe(false); // nothing was started
  });
});
