/**
 * Clients that open a download and never read it cost the server little:
 * a stalled OpenStream holds no more than a frame or two, whatever the
 * object's block size, and the read buffers of all calls together are
 * capped. Measured on a real plugin process, as its RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactClient } from "../src/client.ts";
import { collect, sha256 } from "./helpers/data.ts";
import { generatedBody } from "./helpers/memory.ts";

const MiB = 1024 * 1024;
const STALLED = 50;
let root: string;
let plugin: ChildProcess;
let socket: string;
let configuration: string;

/** The plugin's resident memory now, in MiB. */
async function rssMiB(): Promise<number> {
  const status = await readFile(`/proc/${plugin.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "slow-readers-"));
  const drives = Array.from({ length: 3 }, (_, i) => path.join(root, `d${i}`));
  for (const d of drives) await mkdir(d);
  configuration = `local: {drives: ${JSON.stringify(drives)}, dataShards: 2, parityShards: 1, blockSize: 16MiB}`;
  socket = path.join(root, "socket");
  plugin = spawn(process.execPath, [path.resolve("src/main.ts"), socket], { stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    plugin.stderr?.on("data", (chunk: Buffer) => chunk.toString().includes('"ready"') && resolve());
    plugin.once("exit", (code) => reject(new Error(`plugin exited with ${code}`)));
  });
});
afterAll(async () => {
  plugin?.kill("SIGKILL");
  await rm(root, { recursive: true, force: true });
});

describe("stalled downloads", () => {
  it(`${STALLED} OpenStreams that never read, of an object with 16 MiB blocks, grow the plugin by at most 128 MiB`, { timeout: 120_000 }, async () => {
    const writer = new ArtifactClient(socket, { configuration });
    await writer.saveStream("big", generatedBody(256 * MiB, 7));
    writer.close();
    await new Promise((r) => setTimeout(r, 2000)); // let the upload's buffers go
    const before = await rssMiB();
    let peak = before;
    const sampler = setInterval(() => void rssMiB().then((rss) => (peak = Math.max(peak, rss)), () => {}), 50);
    const clients = Array.from({ length: STALLED }, () => new ArtifactClient(socket, { configuration }));
    // Each call starts and then nobody reads: the client's buffers fill and stop the flow.
    const stalled: Readable[] = clients.map((client) => client.openStream("big"));
    for (const stream of stalled) stream.pause();
    for (const stream of stalled) stream.once("readable", () => {}); // starts the call without consuming it
    await new Promise((r) => setTimeout(r, 8000));
    clearInterval(sampler);
    const growth = peak - before;
    // A reader that reads meanwhile still gets its bytes.
    const reader = new ArtifactClient(socket, { configuration });
    const expected = sha256(await collect(generatedBody(256 * MiB, 7)));
    expect(sha256(await collect(reader.openStream("big")))).toBe(expected);
    reader.close();
    for (const stream of stalled) stream.destroy();
    for (const client of clients) client.close();
    expect(growth, `the plugin grew by ${growth.toFixed(0)} MiB`).toBeLessThanOrEqual(128);
  });
});
