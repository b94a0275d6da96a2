/**
 * Inputs the local store must refuse up front, keys it must accept, and
 * errors that say what happened: a key it cannot hold is INVALID_ARGUMENT
 * before a byte of the body is read; drives it cannot reach are UNAVAILABLE,
 * not DATA_LOSS.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, open, readdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { DataLossError, InvalidKeyError } from "../../src/errors.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { startTestServer } from "../helpers/server.ts";
import { makeStore, shardFile, type TestStore } from "./helpers.ts";

let store: TestStore;
beforeEach(async () => {
  store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: "64KiB" });
});
afterEach(() => store.remove());

/** A body that counts what was pulled from it: a refused put must not read any of it. */
function watchedBody(): { body: Readable; pulled: () => number } {
  let pulled = 0;
  const body = new Readable({
    read() {
      pulled += 65536;
      this.push(Buffer.alloc(65536));
      if (pulled >= 64 * 1024 * 1024) this.push(null);
    },
  });
  return { body, pulled: () => pulled };
}

const tempFiles = async () =>
  (await Promise.all(store.drives.map((d) => readdir(path.join(d, "tmp")).catch(() => [])))).flat();

describe("keys the local store cannot hold", () => {
  it.each([
    [
      "a segment longer than 255 bytes",
      `runs/${"x".repeat(256)}/out.tgz`,
      /has a segment of 256 bytes; the local store allows 255/,
    ],
    [
      "a header that would not fit",
      Array.from({ length: 4 }, () => "\u0001".repeat(250)).join("/"),
      /too long for the local store's shard header/,
    ],
  ])("refuses %s before reading the body", async (_label, key, message) => {
    const driver = store.open();
    const { body, pulled } = watchedBody();
    const error = await driver.put(key, body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect((error as Error).message).toMatch(message);
    expect(pulled()).toBeLessThanOrEqual(65536 * 2); // at most the stream's own read-ahead, never the 64 MiB
    expect(body.destroyed).toBe(true);
    expect(await tempFiles()).toEqual([]);
  });

  it("refuses a key whose shard path would be longer than the filesystem allows", async () => {
    // A drive nested deep enough that a 1000-byte key no longer fits in 4095 bytes of path.
    const deep = path.join(
      store.root,
      ...Array.from({ length: 13 }, (_, i) => `${String(i).padStart(3, "0")}${"d".repeat(240)}`),
    );
    await mkdir(deep, { recursive: true });
    const driver = createLocalDriver(localConfigSchema.parse({ drives: [deep] }));
    const key = Array.from({ length: 4 }, () => "k".repeat(249)).join("/");
    await expect(driver.put(key, streamOf(Buffer.from("x")))).rejects.toThrow(
      /its shard path would be \d+ bytes \(at most 4095\)/,
    );
  });

  it("answers INVALID_ARGUMENT over gRPC", async () => {
    const t = await startTestServer();
    try {
      await expect(t.client().saveStream(`${"y".repeat(300)}/file`, [Buffer.from("data")])).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
    } finally {
      await t.stop();
    }
  });

  it.each(["obj/@shard/x", "@shard", "a/@shard"])("refuses the reserved segment in %s on every call", async (key) => {
    const driver = store.open();
    for (const call of [
      () => driver.get(key),
      () => driver.stat(key),
      () => driver.delete(key),
      () => driver.heal(key),
      () => driver.put(key, streamOf(Buffer.from("x"))),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(InvalidKeyError);
    }
  });
});

describe("keys the local store accepts", () => {
  it.each(["..foo", "...", "a/..b/c..", "dir/.hidden", "x/...y/z"])("stores, lists and deletes %s", async (key) => {
    const driver = store.open();
    const data = bytes(1000);
    await driver.put(key, streamOf(data));
    expect(sha256(await collect(await driver.get(key)))).toBe(sha256(data));
    expect((await driver.stat(key)).size).toBe(1000);
    const listed: string[] = [];
    for await (const o of driver.list("")) listed.push(o.key);
    expect(listed).toContain(key);
    await driver.delete(key);
    await expect(driver.stat(key)).rejects.toThrow(/not found/);
  });
});

describe("errors that say what happened", () => {
  it("prints the number of matching shards, even when none match", async () => {
    const driver = store.open();
    await driver.put("all-bad", streamOf(bytes(1000)));
    for (let d = 0; d < 6; d++) {
      const handle = await open(shardFile(store, d, "all-bad"), "r+");
      await handle.write(Buffer.from("X"), 0, 1, 40);
      await handle.close();
    }
    const error = await store
      .open()
      .get("all-bad")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(DataLossError);
    expect((error as Error).message).toBe("object 'all-bad' cannot be read: found 0 matching shards of the 4 needed");
  });

  it("reports drives that cannot be accessed as UNAVAILABLE, not DATA_LOSS", async () => {
    const driver = store.open();
    const data = bytes(200_000);
    await driver.put("obj", streamOf(data));
    await driver.dispose();
    // One shard corrupt, two drives unreadable by the plugin's user: 3 good shards of the 4 needed,
    // and the unreadable drives may well hold the rest.
    const handle = await open(shardFile(store, 0, "obj"), "r+");
    await handle.write(Buffer.from("X"), 0, 1, 40);
    await handle.close();
    await chmod(store.root, 0o755);
    for (const d of store.drives) await chmod(d, 0o777);
    for (const d of [1, 2]) await chmod(path.join(store.drives[d] as string, "objects"), 0o000);
    const asOtherUser = async () => {
      // Root reads everything: the call runs as an unprivileged user, as the plugin does in its image.
      const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.resolve("test/local/driver-call.ts"), JSON.stringify(store.config), "obj"],
        user,
      );
      return JSON.parse(stdout) as { ok: boolean; status?: string; message?: string };
    };
    const outcome = await asOtherUser();
    expect(outcome).toMatchObject({ ok: false, status: "UNAVAILABLE" });
    expect(outcome.message).toMatch(/cannot be read now: 3 matching shards of the 4 needed are readable.*EACCES/);
    // The folders readable but the shard files themselves not (another pod's umask): the same.
    for (const d of [1, 2]) await chmod(path.join(store.drives[d] as string, "objects"), 0o755);
    for (const d of [1, 2]) await chmod(shardFile(store, d, "obj"), 0o000);
    expect(await asOtherUser()).toMatchObject({
      ok: false,
      status: "UNAVAILABLE",
      message: expect.stringMatching(/3 matching shards of the 4 needed.*EACCES/),
    });
    for (const d of [1, 2]) await chmod(shardFile(store, d, "obj"), 0o644);
    // The whole drive unreadable: that drive is offline, and still no DATA_LOSS.
    for (const d of [1, 2, 3]) await chmod(store.drives[d] as string, 0o000);
    expect(await asOtherUser()).toMatchObject({
      ok: false,
      status: "UNAVAILABLE",
      message: expect.stringMatching(/cannot be accessed \(EACCES\)/),
    });
    for (const d of [1, 2, 3]) await chmod(store.drives[d] as string, 0o777);
    expect(await asOtherUser()).toMatchObject({ ok: true, size: 200_000 });
  });
});

describe("configuration bounds", () => {
  it("healIntervalMinutes is off (0) or at least a minute", () => {
    expect(() => localConfigSchema.parse({ drives: ["/d"], healIntervalMinutes: 0.5 })).toThrow(
      /expected 0 \(off\) or at least 1 minute/,
    );
    expect(localConfigSchema.parse({ drives: ["/d"], healIntervalMinutes: 0 }).healIntervalMinutes).toBe(0);
    expect(localConfigSchema.parse({ drives: ["/d"], healIntervalMinutes: 1 }).healIntervalMinutes).toBe(1);
  });
});
