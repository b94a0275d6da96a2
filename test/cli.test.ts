/** The `multistore` CLI against our real server, as a person would use it. */
import { execFile } from "node:child_process";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, sha256, writeTree } from "./helpers/data.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const run = promisify(execFile);
const cli = path.resolve("src/cli.ts");
let t: TestServer;
let config: string;

beforeAll(async () => {
  t = await startTestServer();
  config = path.join(t.root, "config.yaml");
  await writeFile(config, t.configuration);
});
afterAll(() => t.stop());

/** Runs the CLI; resolves with its exit code and output instead of throwing. */
async function multistore(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [cli, "--socket", t.socketPath, "--config", config, ...args],
      {
        cwd: t.root,
        encoding: "buffer",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return { code: 0, stdout: stdout.toString("latin1"), stderr: stderr.toString() };
  } catch (error) {
    const e = error as { code: number; stdout: Buffer; stderr: Buffer };
    return { code: e.code, stdout: e.stdout.toString("latin1"), stderr: e.stderr.toString() };
  }
}

describe("multistore CLI", () => {
  it("puts, stats, gets, cats, lists and removes a file", async () => {
    const data = bytes(3 * 1024 * 1024);
    const file = path.join(t.root, "upload.bin");
    await writeFile(file, data);
    expect((await multistore("put", file, "cli/upload.bin")).code).toBe(0);
    const info = await multistore("stat", "cli/upload.bin");
    expect(info.stdout).toMatch(/kind:\s+file/);
    expect(info.stdout).toMatch(/size:\s+3145728/);
    expect(info.stdout).toContain(`sha256:   ${sha256(data)}`);
    expect((await multistore("get", "cli/upload.bin", "fetched.bin")).code).toBe(0);
    expect(sha256(await readFile(path.join(t.root, "fetched.bin")))).toBe(sha256(data));
    expect(sha256(Buffer.from((await multistore("cat", "cli/upload.bin")).stdout, "latin1"))).toBe(sha256(data));
    expect((await multistore("rm", "cli/upload.bin")).code).toBe(0);
    const gone = await multistore("stat", "cli/upload.bin");
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain("artifact 'cli/upload.bin' not found");
  });

  it("get leaves a file beside the destination alone, and never replaces the destination", async () => {
    await writeFile(path.join(t.root, "small.bin"), "artifact");
    expect((await multistore("put", path.join(t.root, "small.bin"), "cli/small.bin")).code).toBe(0);
    await writeFile(path.join(t.root, "mine.bin.partial"), "the user's own file");
    expect((await multistore("get", "cli/small.bin", "mine.bin")).code).toBe(0);
    expect(await readFile(path.join(t.root, "mine.bin"), "utf8")).toBe("artifact");
    expect(await readFile(path.join(t.root, "mine.bin.partial"), "utf8")).toBe("the user's own file");
    const again = await multistore("get", "cli/small.bin", "mine.bin");
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("mine.bin already exists");
    expect((await readdir(t.root)).filter((name) => name.includes("multistore-partial"))).toEqual([]);
  });

  it("puts and gets a directory tree", async () => {
    const tree = { "a.txt": bytes(10), "sub/b.bin": bytes(2000) };
    await writeTree(path.join(t.root, "tree"), tree);
    expect((await multistore("put", "tree", "cli/tree")).code).toBe(0);
    expect((await multistore("ls", "cli/tree")).stdout.trim().split("\n")).toEqual([
      "cli/tree/a.txt",
      "cli/tree/sub/b.bin",
    ]);
    expect((await multistore("get", "cli/tree", "tree-copy")).code).toBe(0);
    expect((await readdir(path.join(t.root, "tree-copy"))).sort()).toEqual(["a.txt", "sub"]);
  });

  it("heals an erasure-coded store, one object or all of them", async () => {
    const drives = ["e0", "e1", "e2"].map((d) => path.join(t.root, d));
    for (const d of drives) await mkdir(d);
    const ecConfig = path.join(t.root, "ec.yaml");
    await writeFile(ecConfig, `local: {drives: [${drives.join(", ")}], dataShards: 2, parityShards: 1}`);
    const ec = (...args: string[]) => multistore("--config", ecConfig, ...args);
    const file = path.join(t.root, "ec-upload.bin");
    await writeFile(file, bytes(100_000));
    expect((await ec("put", file, "runs/1/out.bin")).code).toBe(0);
    expect((await ec("heal", "runs/1/out.bin")).stdout).toContain("scanned 1, healthy 1, healed 0, unrecoverable 0");
    await rm(drives[1] as string, { recursive: true });
    await mkdir(drives[1] as string);
    const all = await ec("heal", "--all");
    expect(all.stdout).toMatch(/^healed\s+runs\/1\/out\.bin \(drives 1\)$/m);
    expect(all.stdout).toContain("scanned 1, healthy 0, healed 1, unrecoverable 0, temp files removed 0");
    expect((await multistore("heal", "--all")).stdout).toContain("scanned"); // the single-drive default store heals too
  });

  it("verifies objects, naming a damaged one, and copies an artifact to another store, skipping what is there", async () => {
    await mkdir(path.join(t.root, "cli-verify"));
    await writeTree(path.join(t.root, "cli-verify"), { "a.bin": bytes(300_000), "b/c.bin": bytes(5) });
    expect((await multistore("put", path.join(t.root, "cli-verify"), "cli/verify")).code).toBe(0);
    const verified = await multistore("verify", "--all", "cli/verify/");
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^verified\s+cli\/verify\/a\.bin$/m);
    expect(verified.stdout).toContain("checked 2: verified 2, unverified (no digest recorded) 0, damaged 0, gone 0");

    await mkdir(path.join(t.root, "other-data"));
    const other = path.join(t.root, "other.yaml");
    await writeFile(other, `local: {drives: [${JSON.stringify(path.join(t.root, "other-data"))}]}`);
    const copied = await multistore("cp", "cli/verify", "--to", other);
    expect(copied.code).toBe(0);
    expect(copied.stdout).toContain("copied 2 (0.3 MiB, 0 checked by size only), skipped 0 already there, failed 0");
    expect((await multistore("cp", "cli/verify", "--to", other)).stdout).toContain(
      "copied 0 (0.0 MiB, 0 checked by size only), skipped 2",
    );
    expect((await multistore("--config", other, "verify", "cli/verify")).stdout).toContain("verified 2");

    // A flipped byte inside the copy's only shard of a.bin: verify names it and fails.
    const shardDir = path.join(t.root, "other-data", "objects", "cli", "verify", "a.bin", "@shard");
    const [version] = await readdir(shardDir);
    const shard = path.join(shardDir, version as string);
    const content = await readFile(shard);
    content[content.length - 1000] = (content[content.length - 1000] as number) ^ 0xff;
    await writeFile(shard, content);
    const damaged = await multistore("--config", other, "verify", "cli/verify");
    expect(damaged.code).toBe(1);
    expect(damaged.stdout).toMatch(/^damaged\s+cli\/verify\/a\.bin: /m);
    expect(damaged.stderr).toContain("1 object(s) do not match their recorded SHA-256");
    expect((await multistore("cp", "cli/verify")).code).toBe(2); // no --to
  });

  it("fails clearly without a server, on a bad config and on bad usage", async () => {
    const noServer = await run(process.execPath, [cli, "--socket", path.join(t.root, "nothing"), "ls", "x"]).catch(
      (e) => e,
    );
    expect(noServer.code).toBe(1);
    expect(String(noServer.stderr)).toContain("no plugin is listening");
    await mkdir(path.join(t.root, "bad"), { recursive: true });
    const bad = path.join(t.root, "bad", "config.yaml");
    await writeFile(bad, "local: {drivez: [/x]}");
    const badConfig = await run(process.execPath, [cli, "--socket", t.socketPath, "--config", bad, "ls", "x"]).catch(
      (e) => e,
    );
    expect(String(badConfig.stderr)).toContain("local.drivez: unknown field (did you mean 'drives'?)");
    expect((await multistore("frobnicate", "x")).code).toBe(2);
    expect((await multistore("get", "only-one-arg")).code).toBe(2);
  });
});
