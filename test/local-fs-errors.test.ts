/**
 * Failures of the plugin's own filesystem during Load and Save say what
 * happened: a full disk is RESOURCE_EXHAUSTED, a folder the plugin's user may
 * not write is PERMISSION_DENIED, a name too long is INVALID_ARGUMENT, never
 * INTERNAL. The plugin runs as an unprivileged user here, as in its image.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactClient } from "../src/client.ts";
import { bytes, streamOf } from "./helpers/data.ts";

let root: string;
let plugin: ChildProcess;
let client: ArtifactClient;
let tmpfs: string;
const asRoot = process.getuid?.() === 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "local-fs-errors-"));
  await chmod(root, 0o777);
  const drive = path.join(root, "drive");
  await mkdir(drive, { mode: 0o777 });
  await chmod(drive, 0o777);
  const socket = path.join(root, "run", "socket");
  await mkdir(path.dirname(socket), { mode: 0o777 });
  await chmod(path.dirname(socket), 0o777);
  // Unprivileged, as the image runs it (root would write anywhere).
  plugin = spawn(process.execPath, [path.resolve("src/main.ts"), socket], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MULTISTORE_PATHS: root },
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    plugin.stderr?.on("data", (chunk: Buffer) => chunk.toString().includes('"ready"') && resolve());
    plugin.once("exit", (code) => reject(new Error(`plugin exited with ${code}`)));
  });
  client = new ArtifactClient(socket, { configuration: `local: {drives: [${JSON.stringify(drive)}]}` });
  // A 256 KiB filesystem to fill up.
  tmpfs = path.join(root, "small");
  await mkdir(tmpfs);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k,mode=0777", "tmpfs", tmpfs]);
});
afterAll(async () => {
  client?.close();
  plugin?.kill("SIGKILL");
  if (tmpfs) execFileSync("umount", [tmpfs]);
  await rm(root, { recursive: true, force: true });
});

describe("Load and Save report the plugin's filesystem errors by kind", () => {
  it("a full disk is RESOURCE_EXHAUSTED, and nothing half written stays", async () => {
    await client.saveStream("big", streamOf(bytes(1024 * 1024)));
    await expect(client.load("big", path.join(tmpfs, "big.tmp"))).rejects.toMatchObject({
      code: "RESOURCE_EXHAUSTED",
      message: expect.stringContaining("no space left (ENOSPC)"),
    });
    expect(execFileSync("ls", ["-A", tmpfs]).toString()).toBe("");
  });

  it("a folder the plugin may not write is PERMISSION_DENIED", async () => {
    const locked = path.join(root, "locked");
    await mkdir(locked, { mode: 0o755 }); // root's, not the plugin's
    await client.saveStream("small", streamOf(Buffer.from("x")));
    await expect(client.load("small", path.join(locked, "x.tmp"))).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringContaining("EACCES"),
    });
    const secret = path.join(root, "unreadable.txt");
    await writeFile(secret, "only root reads this", { mode: 0o600 });
    await expect(client.save(secret, "copied")).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    // Inside a folder being saved (root's 0600 files, as Argo's wait container writes them): named.
    const tree = path.join(root, "tree");
    await mkdir(tree, { mode: 0o755 });
    await writeFile(path.join(tree, "ok.txt"), "readable", { mode: 0o644 });
    await writeFile(path.join(tree, "private.txt"), "only root", { mode: 0o600 });
    await expect(client.save(tree, "tree")).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
      message: expect.stringContaining("the file private.txt of the Save path"),
    });
  });

  it("a name too long is INVALID_ARGUMENT", async () => {
    await client.saveStream("small", streamOf(Buffer.from("x")));
    await expect(client.load("small", path.join(root, `${"n".repeat(300)}.tmp`))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});
