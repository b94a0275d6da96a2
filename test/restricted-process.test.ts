/**
 * The plugin as it runs in a locked-down pod: a read-only root filesystem,
 * UID 8737 (the UID Argo gives its pods), no capabilities, and writable only
 * the volumes it is handed (here one folder, as the socket emptyDir, the
 * artifact folders and the store's drives would be). Every RPC must work,
 * and nothing may be written anywhere else.
 *
 * As root (CI), the plugin runs in its own mount namespace with `/`
 * remounted read-only and one folder bound writable, under `setpriv` as UID
 * 8737 with every capability dropped. Run as another user the test can do
 * neither, and runs the plugin as that user on the normal filesystem.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactClient } from "../src/client.ts";
import { bytes, collect, sha256 } from "./helpers/data.ts";

const ARGO_UID = 8737;
const asRoot = process.getuid?.() === 0;
let volume: string;
let plugin: ChildProcess;
let stderr = "";
let client: ArtifactClient;

beforeAll(async () => {
  volume = await mkdtemp(path.join(os.tmpdir(), "restricted-"));
  for (const dir of ["plugin", "drives/d0", "drives/d1", "drives/d2", "outputs", "inputs"])
    await mkdir(path.join(volume, dir), { recursive: true });
  // Volumes as Argo mounts them: writable by the pod's user.
  for (const dir of ["", "plugin", "drives", "drives/d0", "drives/d1", "drives/d2", "outputs", "inputs"])
    await chmod(path.join(volume, dir), 0o777);
  const socket = path.join(volume, "plugin", "socket");
  const serve = [process.execPath, path.resolve("src/main.ts"), socket];
  const command = asRoot
    ? [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        // Every mount read-only (`/`, and `/tmp` where it is a mount of its own), except the volume
        // and the kernel's: as a pod's root filesystem with readOnlyRootFilesystem.
        'mount --bind "$0" "$0" && for m in $(awk \'{print $2}\' /proc/self/mounts); do case "$m" in "$0"|/proc*|/sys*|/dev*) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null ;; esac; done; ' +
          'exec setpriv --reuid=8737 --regid=8737 --clear-groups --inh-caps=-all --bounding-set=-all "$@"',
        volume,
        ...serve,
      ]
    : serve;
  plugin = spawn(command[0] as string, command.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MULTISTORE_PATHS: volume, HOME: "/nonexistent" },
  });
  await new Promise<void>((resolve, reject) => {
    plugin.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('"msg":"ready"')) resolve();
    });
    plugin.once("exit", (code) => reject(new Error(`plugin exited with ${code}: ${stderr}`)));
  });
  const drives = [0, 1, 2].map((i) => path.join(volume, "drives", `d${i}`));
  client = new ArtifactClient(socket, {
    configuration: `local: {drives: ${JSON.stringify(drives)}, dataShards: 2, parityShards: 1}`,
  });
});
afterAll(async () => {
  client?.close();
  plugin?.kill("SIGKILL");
  if (volume) await rm(volume, { recursive: true, force: true });
});

describe(`the plugin on a read-only root filesystem, as UID ${ARGO_UID}, without capabilities`, () => {
  it("runs as the unprivileged user it was started as, with no capabilities", async () => {
    // sh and setpriv exec into node, so the child's PID is the plugin's.
    const status = await readFile(`/proc/${plugin.pid}/status`, "utf8");
    if (asRoot) expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(ARGO_UID));
    expect(/^CapEff:\s+(\w+)/m.exec(status)?.[1]).toMatch(/^0+$/);
    expect(/^CapBnd:\s+(\w+)/m.exec(status)?.[1]).toMatch(asRoot ? /^0+$/ : /./);
    if (!asRoot) return;
    // Its mounts: all read-only but the volume (and the kernel's), `/` and the temp folder included.
    const mounts = (await readFile(`/proc/${plugin.pid}/mountinfo`, "utf8"))
      .trim()
      .split("\n")
      .map((line) => line.split(" "));
    const options = (at: string) =>
      mounts
        .filter((fields) => fields[4] === at)
        .at(-1)?.[5]
        ?.split(",");
    expect(options(volume)).toContain("rw");
    const writable = mounts
      .map((f) => f[4] as string)
      .filter((at) => at !== volume && !/^\/(proc|sys|dev)(\/|$)/.test(at) && !options(at)?.includes("ro"));
    expect(writable, "mounts the plugin could write to").toEqual([]);
    expect(mounts.map((f) => f[4])).toContain("/");
  });

  it("serves every RPC, writing only into the volumes it is handed", async () => {
    const content = bytes(3 * 1024 * 1024 + 11);
    const file = path.join(volume, "outputs", "out.tgz");
    await writeFile(file, content, { mode: 0o644 });
    await client.save(file, "a/out.tgz");
    const dest = path.join(volume, "inputs", "in.tmp");
    await client.load("a/out.tgz", dest);
    expect(sha256(await readFile(dest))).toBe(sha256(content));
    await client.saveStream("a/streamed", [content]);
    expect(sha256(await collect(client.openStream("a/streamed")))).toBe(sha256(content));
    expect(await client.listObjects("a")).toEqual(["a/out.tgz", "a/streamed"]);
    expect(await client.isDirectory("a")).toBe(true);
    await client.delete("a/streamed");
    expect(await client.listObjects("a")).toEqual(["a/out.tgz"]);
    // What it wrote belongs to the pod's user.
    if (asRoot) expect((await stat(dest)).uid).toBe(ARGO_UID);
    expect(stderr).not.toMatch(/EROFS|EACCES|EPERM/);
  });

  it("stops on SIGTERM with 0", async () => {
    plugin.kill("SIGTERM");
    const [code] = await once(plugin, "exit");
    expect(code, stderr).toBe(0);
  });
});
