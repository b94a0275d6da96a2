/** Every RPC of our real server, over a real unix socket, with the local backend. */

import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FRAME_BYTES } from "../src/frames.ts";
import type { OpenStreamResponse__Output } from "../src/generated/artifact/OpenStreamResponse.ts";
import { MiB } from "../src/units.ts";
import { bytes, collect, sha256, streamOf, uniquePrefix, writeTree } from "./helpers/data.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

/** Open file descriptors of this process (the server runs in it). */
async function openFds(): Promise<number> {
  return (await readdir("/proc/self/fd")).length;
}

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("round trips", () => {
  it.each([0, 1, 2 * MiB - 1, 2 * MiB + 1, 50 * MiB])("Save then Load of %d bytes", async (size) => {
    const client = t.client();
    const data = bytes(size);
    const source = path.join(t.root, `${uniquePrefix()}.tgz`);
    await writeFile(source, data);
    const key = `${uniquePrefix()}/out.tgz`;
    await client.save(source, key);
    const dest = path.join(t.root, `${uniquePrefix()}.tmp`);
    await client.load(key, dest);
    expect(sha256(await readFile(dest))).toBe(sha256(data));
  });

  it.each([0, 1, 2 * MiB - 1, 2 * MiB + 1, 50 * MiB])("SaveStream then OpenStream of %d bytes", async (size) => {
    const client = t.client();
    const data = bytes(size);
    const key = `${uniquePrefix()}/upload.bin`;
    await client.saveStream(key, streamOf(data, 2 * MiB));
    expect(sha256(await collect(client.openStream(key)))).toBe(sha256(data));
  });

  it("round-trips nested directories with unicode names", async () => {
    const client = t.client();
    const tree = { "ü/ñ/日本/file.txt": bytes(1000), "a/b/c/d/e/f/g.bin": bytes(70_000), "x y/z": bytes(0) };
    const source = path.join(t.root, uniquePrefix("tree"));
    await writeTree(source, tree);
    const key = `${uniquePrefix()}/répertoire`;
    await client.save(source, key);
    const dest = path.join(t.root, uniquePrefix("loaded"));
    await client.load(key, dest);
    for (const [rel, content] of Object.entries(tree)) {
      expect(sha256(await readFile(path.join(dest, rel)))).toBe(sha256(content));
    }
  });

  it("says SaveStream is supported", async () => {
    expect(await t.client().supportsSaveStream()).toBe(true);
  });

  it("serves 20 clients at once", async () => {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const client = t.client();
        const data = bytes(100_000 + i);
        const key = `${uniquePrefix()}/concurrent-${i}`;
        await client.saveStream(key, streamOf(data));
        expect(sha256(await collect(client.openStream(key)))).toBe(sha256(data));
      }),
    );
  });
});

describe("OpenStream framing", () => {
  it("sends data frames of at most FRAME_BYTES, then an empty is_end frame", async () => {
    const client = t.client();
    const data = bytes(5 * MiB + 17);
    const key = `${uniquePrefix()}/framed`;
    await client.saveStream(key, streamOf(data));
    const frames: OpenStreamResponse__Output[] = [];
    for await (const frame of client.artifacts.OpenStream({ artifact: client.artifact(key) })) frames.push(frame);
    const last = frames.at(-1);
    expect(last?.is_end).toBe(true);
    expect(last?.data.length).toBe(0);
    const dataFrames = frames.slice(0, -1);
    expect(
      dataFrames.every((f) => !f.is_end && f.error === "" && f.data.length > 0 && f.data.length <= FRAME_BYTES),
    ).toBe(true);
    expect(sha256(Buffer.concat(dataFrames.map((f) => f.data)))).toBe(sha256(data));
  });

  // Frames are encoded into one buffer shared by every call and lent block buffers go back to the
  // store once encoded (src/proto.ts, drivers/local/block-window.ts): calls interleaving frames must
  // still each get exactly their own bytes.
  it("streams many multi-frame downloads at once, each byte for byte", async () => {
    const objects = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const data = bytes(3 * MiB + 1000 * i);
        const key = `${uniquePrefix()}/many-${i}`;
        await t.client().saveStream(key, streamOf(data));
        return { key, data };
      }),
    );
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        objects.map(async ({ key, data }) =>
          expect(sha256(await collect(t.client().openStream(key)))).toBe(sha256(data)),
        ),
      );
    }
  });

  it("stops reading the source when the client cancels", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/big`;
    await client.saveStream(key, streamOf(bytes(40 * MiB)));
    const baseline = await openFds();
    const call = client.artifacts.OpenStream({ artifact: client.artifact(key) });
    await new Promise<void>((resolve) => call.once("data", () => resolve()));
    call.pause(); // a slow reader: the server must wait, not buffer 40 MiB
    call.cancel();
    call.on("error", () => {});
    // The server's file handle on the object is closed once it notices.
    await eventually(async () => (await openFds()) <= baseline + 1);
  });

  it("answers UNIMPLEMENTED for a method it does not serve", async () => {
    const client = t.client();
    const channel = client.artifacts.getChannel();
    const generic = new grpc.Client(`unix://${t.socketPath}`, grpc.credentials.createInsecure(), {
      channelOverride: channel,
    });
    const code = await new Promise<number>((resolve) =>
      generic.makeUnaryRequest(
        "/artifact.ArtifactService/NoSuchMethod",
        () => Buffer.alloc(0),
        (b: Buffer) => b,
        {},
        (err) => resolve(err?.code ?? 0),
      ),
    );
    expect(code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe("nothing partial", () => {
  it("a SaveStream cancelled mid-way leaves no object and no temp file", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/cancelled`;
    const call = client.artifacts.SaveStream(() => {});
    call.write({ output_artifact: client.artifact(key) });
    for (let i = 0; i < 4; i++) call.write({ chunk: bytes(MiB) });
    await new Promise((r) => setTimeout(r, 100));
    call.cancel();
    const tmp = path.join(t.dataDir, "tmp");
    await eventually(async () => (await readdir(tmp)).length === 0);
    await expect(client.load(key, path.join(t.root, uniquePrefix()))).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("an OpenStream cancelled mid-way does not disturb the object", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/still-there`;
    const data = bytes(10 * MiB);
    await client.saveStream(key, streamOf(data));
    const stream = client.openStream(key);
    for await (const _chunk of stream) break; // destroys the stream: cancels the call
    expect(sha256(await collect(client.openStream(key)))).toBe(sha256(data));
  });
});

describe("Load destinations", () => {
  it("replaces an existing destination whole, as Argo's own drivers do, and never merges", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/object`;
    await client.saveStream(key, streamOf(Buffer.from("new")));
    await client.saveStream(`${key}-dir/a.txt`, streamOf(Buffer.from("a")));
    // A file left by a failed attempt, a folder where a file goes, a folder where a folder goes.
    const leftover = path.join(t.root, uniquePrefix("leftover.tmp"));
    await writeFile(leftover, "half of an old attempt");
    await client.load(key, leftover);
    expect((await readFile(leftover)).toString()).toBe("new");
    const folder = path.join(t.root, uniquePrefix("folder"));
    await writeTree(folder, { "thesis.txt": Buffer.from("old") });
    await client.load(key, folder);
    expect((await readFile(folder)).toString()).toBe("new");
    const tree = path.join(t.root, uniquePrefix("tree"));
    await writeTree(tree, { "stale.txt": Buffer.from("old"), "sub/b.txt": Buffer.from("old") });
    await client.load(`${key}-dir`, tree);
    expect(await readdir(tree)).toEqual(["a.txt"]);
    expect((await readdir(t.root)).filter((n) => n.startsWith(".multistore-"))).toEqual([]);
  });

  it("leaves an existing destination untouched when the Load fails", async () => {
    const client = t.client();
    const dest = path.join(t.root, uniquePrefix("existing"));
    await writeTree(dest, { "thesis.txt": Buffer.from("precious") });
    await expect(client.load(`${uniquePrefix()}-missing`, dest)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await readFile(path.join(dest, "thesis.txt"))).toString()).toBe("precious");
  });

  it("answers INVALID_ARGUMENT when the destination's folder does not exist", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/object`;
    await client.saveStream(key, streamOf(Buffer.from("x")));
    await expect(client.load(key, path.join(t.root, "no-such-folder", "x.tmp"))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("a folder on the way does not exist"),
    });
  });

  it("refuses a directory holding both 'a' and 'a/b', writing nothing", async () => {
    const client = t.client();
    const key = uniquePrefix();
    await client.saveStream(`${key}/a`, streamOf(Buffer.from("file")));
    await client.saveStream(`${key}/a/b`, streamOf(Buffer.from("nested")));
    const dest = path.join(t.root, uniquePrefix("mixed"));
    await expect(client.load(key, dest)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("collides with another object"),
    });
    expect(
      (await readdir(t.root)).filter((name) => name.startsWith(path.basename(dest)) || name.startsWith(".multistore-")),
    ).toEqual([]);
  });
});

describe("Save of a directory", () => {
  it("refuses a symbolic link as the path to save", async () => {
    const client = t.client();
    const target = path.join(t.root, uniquePrefix("target"));
    await writeFile(target, "secret");
    const link = path.join(t.root, uniquePrefix("link"));
    await symlink(target, link);
    await expect(client.save(link, `${uniquePrefix()}/x`)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringContaining("symbolic link"),
    });
  });

  it("skips symbolic links and never follows them out of the tree", async () => {
    const client = t.client();
    const outside = path.join(t.root, uniquePrefix("outside"));
    await writeTree(outside, { "secret.txt": Buffer.from("do not upload") });
    const source = path.join(t.root, uniquePrefix("with-links"));
    await writeTree(source, { "real.txt": Buffer.from("real") });
    await symlink(path.join(outside, "secret.txt"), path.join(source, "link-to-file"));
    await symlink(outside, path.join(source, "link-to-dir"));
    await mkdir(path.join(source, "empty-dir"));
    const key = `${uniquePrefix()}/linked`;
    await client.save(source, key);
    expect(await client.listObjects(key)).toEqual([`${key}/real.txt`]);
  });

  it("lists a plain object as empty and a missing key as NOT_FOUND", async () => {
    const client = t.client();
    const key = `${uniquePrefix()}/plain`;
    await client.saveStream(key, streamOf(Buffer.from("x")));
    expect(await client.listObjects(key)).toEqual([]);
    await expect(client.listObjects(`${key}-nope`)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("stats files and directories through the admin service", async () => {
    const client = t.client();
    const key = uniquePrefix();
    await client.saveStream(`${key}/a`, streamOf(bytes(10)));
    await client.saveStream(`${key}/b/c`, streamOf(bytes(20)));
    expect(await client.stat(`${key}/a`)).toMatchObject({ kind: "file", size: 10, objects: 1 });
    expect(await client.stat(key)).toMatchObject({ kind: "directory", size: 30, objects: 2 });
    expect(await client.stat(`${key}/zz`)).toMatchObject({ kind: "missing", objects: 0 });
  });
});
