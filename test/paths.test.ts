/**
 * Save reads and Load writes only what Argo hands over: the allowed folders,
 * checked where a path really is; never /proc, /sys, /dev or the secrets
 * folders; a folder walk that never leaves its tree whatever is swapped in
 * under it; no FIFO that can hold the server; no file stored at a length it
 * did not have when opened.
 */
import { execFileSync } from "node:child_process";
import {
  appendFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  truncate,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidRequestError } from "../src/errors.ts";
import { openLoadTarget } from "../src/load-target.ts";
import { PathPolicy } from "../src/local-paths.ts";
import { openSaveSource } from "../src/save-source.ts";
import { collect, uniquePrefix, writeTree } from "./helpers/data.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let t: TestServer;
let allowed: string;
let secrets: string;
beforeAll(async () => {
  allowed = await mkdtemp(path.join(os.tmpdir(), "paths-allowed-"));
  secrets = path.join(allowed, "secrets");
  await mkdir(secrets);
  t = await startTestServer({
    paths: PathPolicy.fromEnv({ MULTISTORE_PATHS: allowed, MULTISTORE_SECRETS_DIR: secrets }),
  });
});
afterAll(async () => {
  await t.stop();
  await rm(allowed, { recursive: true, force: true });
});

const denied = (message: string | RegExp) => ({
  code: "PERMISSION_DENIED",
  message: typeof message === "string" ? expect.stringContaining(message) : expect.stringMatching(message),
});

describe("what Save may read", () => {
  it.each([
    ["/proc/self/environ", "is under /proc, which the plugin never reads or writes"],
    ["/sys/kernel/hostname", "is under /sys"],
    ["/etc/hostname", "is outside the folders the plugin reads and writes (MULTISTORE_PATHS:"],
  ])("refuses %s", async (source, message) => {
    await expect(t.client().save(source, `${uniquePrefix()}/x`)).rejects.toMatchObject(denied(message));
  });

  it("refuses the secrets folder even inside an allowed one", async () => {
    await writeFile(path.join(secrets, "token"), "s3cr3t");
    await expect(t.client().save(path.join(secrets, "token"), `${uniquePrefix()}/x`)).rejects.toMatchObject(
      denied(`is under ${secrets}`),
    );
  });

  it("refuses the secrets folder through a link, and a folder Save that holds it", async () => {
    await writeFile(path.join(secrets, "token"), "s3cr3t");
    const link = path.join(allowed, uniquePrefix("to-secrets"));
    await symlink(secrets, link);
    await expect(t.client().save(path.join(link, "token"), `${uniquePrefix()}/x`)).rejects.toMatchObject(
      denied(`is under ${secrets}`),
    );
    const key = `${uniquePrefix()}/whole`;
    await expect(t.client().save(allowed, key)).rejects.toMatchObject(
      denied(/the folder secrets of the Save path is .*secrets, which the plugin never reads/),
    );
    expect(
      (
        await t
          .client()
          .listObjects(key)
          .catch(() => [])
      ).filter((k: string) => k.includes("token")),
    ).toEqual([]);
  });

  it("checks where a path really is: a folder link on the way cannot lead out", async () => {
    const via = path.join(allowed, uniquePrefix("via"));
    await symlink("/etc", via);
    await expect(t.client().save(path.join(via, "hostname"), `${uniquePrefix()}/x`)).rejects.toMatchObject(
      denied(/\(at \/etc\/hostname\) is outside the folders/),
    );
  });

  it("the default folders are Argo's", () => {
    expect(PathPolicy.fromEnv({}).allowed).toEqual(["/tmp/argo/outputs", "/argo/inputs", "/mainctrfs"]);
    expect(PathPolicy.fromEnv({}, ["/work"]).allowed).toContain("/work");
    expect(PathPolicy.fromEnv({ MULTISTORE_PATHS: "/a:/b" }, ["/work"]).allowed).toEqual(["/a", "/b"]);
  });
});

describe("what Load may write", () => {
  it("refuses a destination outside the allowed folders, or in a refused one", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/k`;
    await client.saveStream(key, [Buffer.from("x")]);
    await expect(client.load(key, path.join(os.tmpdir(), uniquePrefix("outside")))).rejects.toMatchObject(
      denied("is outside the folders"),
    );
    await expect(client.load(key, "/proc/self/x")).rejects.toMatchObject(denied("is under /proc"));
    await expect(client.load(key, path.join(secrets, "x"))).rejects.toMatchObject(denied(`is under ${secrets}`));
    // Nor may it replace a folder that holds a refused one.
    await writeFile(path.join(secrets, "keep"), "keep");
    await expect(client.load(key, allowed)).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    expect((await readFile(path.join(secrets, "keep"))).toString()).toBe("keep");
  });
});

describe("a directory Load's staging folder", () => {
  it("is made once for files created at the same moment (a directory's objects download concurrently)", async () => {
    for (let round = 0; round < 20; round++) {
      const dest = path.join(allowed, uniquePrefix("concurrent"));
      const target = await openLoadTarget(dest, PathPolicy.fromEnv({ MULTISTORE_PATHS: allowed }));
      try {
        const names = ["a/x", "b/y", "c", "a/z", "d/e/f", "g", "h/i", "j"];
        const handles = await Promise.all(names.map((name) => target.createFile(name)));
        for (const handle of handles) await handle.close();
        await target.commit();
      } finally {
        await target.discard();
      }
      expect((await readdir(dest)).sort()).toEqual(["a", "b", "c", "d", "g", "h", "j"]);
    }
  });
});

describe("the folder walk", () => {
  it("never leaves the tree while a subfolder is swapped for a link, round after round", {
    timeout: 120_000,
  }, async () => {
    const client = t.client();
    const outside = path.join(allowed, uniquePrefix("outside"));
    await writeTree(outside, { "secret.txt": Buffer.from("never upload this") });
    const source = path.join(allowed, uniquePrefix("tree"));
    await writeTree(source, { "top.txt": Buffer.from("top"), "sub/inner.txt": Buffer.from("inner") });
    const sub = path.join(source, "sub");
    const parked = path.join(allowed, uniquePrefix("parked"));
    // The racer: sub is a real folder, then a link to `outside`, then the folder again, as fast as it can.
    let racing = true;
    const racer = (async () => {
      while (racing) {
        await rename(sub, parked);
        await symlink(outside, sub);
        await new Promise((r) => setImmediate(r));
        await rm(sub);
        await rename(parked, sub);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let round = 0; round < 150; round++) {
        const key = `${uniquePrefix()}/raced`;
        await client.save(source, key).catch(() => {}); // a folder vanishing mid-walk may fail the Save: fine
        const listed = await client.listObjects(key).catch(() => [] as string[]);
        expect(listed.filter((k) => k.endsWith("secret.txt"))).toEqual([]);
        for (const object of listed)
          expect((await collect(client.openStream(object))).toString()).not.toContain("never upload");
      }
    } finally {
      racing = false;
      await racer;
    }
  });

  it("skips FIFOs and special files, and a FIFO as the path is refused at once", async () => {
    const client = t.client();
    const source = path.join(allowed, uniquePrefix("fifo-tree"));
    await writeTree(source, { "a.txt": Buffer.from("a") });
    execFileSync("mkfifo", [path.join(source, "pipe")]);
    const key = `${uniquePrefix()}/fifo`;
    await client.save(source, key);
    expect(await client.listObjects(key)).toEqual([`${key}/a.txt`]);
    await expect(client.save(path.join(source, "pipe"), `${key}-pipe`)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("not a regular file"),
    });
  });

  it("sixteen Saves of FIFOs at once hold no thread: an unrelated call answers within 100 ms", async () => {
    const fifos = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const fifo = path.join(allowed, uniquePrefix(`pipe-${i}`));
        execFileSync("mkfifo", [fifo]);
        return fifo;
      }),
    );
    const saves = fifos.map((fifo) =>
      t
        .client()
        .save(fifo, `${uniquePrefix()}/p`)
        .catch((e: unknown) => e),
    );
    const started = performance.now();
    expect(await t.client().supportsSaveStream()).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
    for (const outcome of await Promise.all(saves)) expect(outcome).toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});

describe("a file that changes while being saved", () => {
  const policy = () => new PathPolicy([allowed]);

  it.each([
    [
      "grows",
      (file: string) => appendFile(file, "more"),
      /grew while being saved \(1000 bytes when opened\); nothing was stored/,
    ],
    [
      "shrinks",
      (file: string) => truncate(file, 10),
      /shrank while being saved \(1000 bytes when opened, 10 read\); nothing was stored/,
    ],
  ])("fails when it %s, and nothing is stored", async (_label, change, message) => {
    const file = path.join(allowed, uniquePrefix("changing"));
    await writeFile(file, Buffer.alloc(1000, 7));
    const opened = await openSaveSource(file, policy());
    if (opened.kind !== "file") throw new Error("expected a file");
    await change(file);
    const error = await collect(opened.file.stream()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(message);
    expect(await readFile(file).then((b) => b.length)).toBeGreaterThan(0);
  });
});
