/**
 * The plugin as Argo runs it: a child process given only the socket path, in
 * a folder that does not exist yet; SIGTERM drains and exits 0.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ArtifactClient } from "../src/client.ts";
import { bytes, collect, sha256, streamOf } from "./helpers/data.ts";
import { killPlugins, startPlugin } from "./helpers/plugin-process.ts";

const main = path.resolve("src/main.ts");
let root: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "process-test-"));
});
afterEach(async () => {
  killPlugins();
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await rm(root, { recursive: true, force: true });
});

/** Runs `node src/main.ts ...args` to its exit; resolves with the exit code and stderr. */
async function runToExit(args: string[]): Promise<{ code: number; stderr: string }> {
  const child = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, "exit");
  return { code: code as number, stderr };
}

describe("the plugin process", () => {
  it("creates the socket folder, serves, and exits 0 on SIGTERM removing the socket", async () => {
    const socketPath = path.join(root, "artifact-plugins", "multistore", "socket");
    const { child } = await startPlugin(socketPath);
    expect((await stat(socketPath)).isSocket()).toBe(true);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o666);

    const drive = path.join(root, "drive");
    await mkdir(drive);
    const client = new ArtifactClient(socketPath, { configuration: `local: {drives: [${drive}]}` });
    await client.waitForReady(5000);
    const data = bytes(1024 * 1024);
    await client.saveStream("k", streamOf(data));
    expect(sha256(await collect(client.openStream("k")))).toBe(sha256(data));
    client.close();

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    await expect(stat(socketPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("lets a call in flight finish before exiting", async () => {
    const socketPath = path.join(root, "socket");
    const { child } = await startPlugin(socketPath);
    const drive = path.join(root, "drive");
    await mkdir(drive);
    const client = new ArtifactClient(socketPath, { configuration: `local: {drives: [${drive}]}` });
    const data = bytes(8 * 1024 * 1024);
    async function* slowly(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 8; i++) {
        if (i === 2) child.kill("SIGTERM"); // mid-upload
        await new Promise((r) => setTimeout(r, 50));
        yield data.subarray(i * 1024 * 1024, (i + 1) * 1024 * 1024);
      }
    }
    await client.saveStream("in-flight", slowly());
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    client.close();
  });

  it("refuses to steal the socket of a live server, with a clear message", async () => {
    const socketPath = path.join(root, "socket");
    await startPlugin(socketPath);
    const { code, stderr } = await runToExit([socketPath]);
    expect(code).toBe(1);
    expect(stderr).toContain(`another server is already listening on ${socketPath}`);
  });

  it("replaces a stale socket left by a dead server", async () => {
    const socketPath = path.join(root, "socket");
    // A server killed with SIGKILL leaves its socket file behind, with nobody accepting on it.
    const dead = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(socketPath)}, () => console.log("up"))`,
    ]);
    await once(dead.stdout, "data");
    dead.kill("SIGKILL");
    await once(dead, "exit");
    expect((await stat(socketPath)).isSocket()).toBe(true);
    await startPlugin(socketPath);
  });

  it("refuses to replace a file that is not a socket", async () => {
    const socketPath = path.join(root, "socket");
    await writeFile(socketPath, "precious");
    const { code, stderr } = await runToExit([socketPath]);
    expect(code).toBe(1);
    expect(stderr).toContain("exists and is not a socket");
  });

  it("exits 2 with a usage message when no socket path is given", async () => {
    const { code, stderr } = await runToExit([]);
    expect(code).toBe(2);
    expect(stderr).toContain("usage");
  });
});
