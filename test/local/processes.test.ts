/**
 * Many processes, one store: every workflow pod's sidecar and argo-server's
 * use the same drives. Reads in one plugin process while others rewrite the
 * key see exactly one written version, never a spurious DATA_LOSS; commits
 * are serialised across processes by a lease that survives a killed holder.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { ArtifactClient } from "../../src/client.ts";
import { UnavailableError } from "../../src/errors.ts";
import { collect, sha256, streamOf } from "../helpers/data.ts";
import { killPlugins, startPlugin } from "../helpers/plugin-process.ts";
import { makeStore, type TestStore } from "./helpers.ts";
import { versionContent } from "./version-content.ts";

const PROCESSES = 3;
const READS = 2000;

/** Version `v` of the object: distinct content and a distinct length. */
function version(v: number): Buffer {
  const [block] = versionContent(v, 1);
  return (block as Buffer).subarray(0, 160 * 1024 + (v % 997));
}

describe("several plugin processes over the same drives", () => {
  let store: TestStore;
  /** Plugin processes 0-2 read and write; process 3 is a writer that gets killed. */
  const plugins: { child: ChildProcess; client: ArtifactClient }[] = [];

  beforeAll(async () => {
    store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: "64KiB" });
    const configuration = `local: {drives: ${JSON.stringify(store.drives)}, dataShards: 4, parityShards: 2, blockSize: 64KiB}`;
    for (let i = 0; i <= PROCESSES; i++) {
      const socket = path.join(store.root, `plugin-${i}`, "socket");
      const { child } = await startPlugin(socket);
      plugins.push({ child, client: new ArtifactClient(socket, { configuration }) });
    }
  });
  afterAll(async () => {
    for (const { client } of plugins) client.close();
    killPlugins();
    await store.remove();
  });

  /**
   * Keeps `writers` rewriting `key` while `readers` (three calls each) read it
   * `reads` times; `midway` runs once half the reads are done. Returns what went wrong.
   */
  async function race(
    key: string,
    reads: number,
    writers: ArtifactClient[],
    readers: ArtifactClient[],
    midway = async () => {},
  ) {
    const written = new Set<string>();
    let next = 0;
    const save = async (client: ArtifactClient) => {
      const content = version(next++);
      written.add(sha256(content)); // before the call: a reader may see it as soon as it commits
      await client.saveStream(key, [content]);
    };
    await save(writers[0] as ArtifactClient);
    let done = 0;
    let writes = 0;
    let halfway: Promise<void> | undefined;
    const outcome = { errors: [] as string[], unknown: [] as string[], writes: 0 };
    let stop = false;
    const writing = writers.map(async (client, i) => {
      while (!stop) {
        await save(client).then(
          () => writes++,
          (e: Error) => {
            if (i === 0) outcome.errors.push(`save: ${e.message}`); // the others may be killed midway
          },
        );
      }
    });
    const reading = readers.flatMap((client) =>
      Array.from({ length: 3 }, async () => {
        while (done < reads) {
          try {
            const digest = sha256(await collect(client.openStream(key)));
            if (!written.has(digest)) outcome.unknown.push(digest);
          } catch (error) {
            outcome.errors.push(`read: ${(error as Error).message}`);
          }
          if (++done === Math.floor(reads / 2)) halfway = midway();
        }
      }),
    );
    await Promise.all(reading);
    stop = true;
    await Promise.all(writing);
    await halfway;
    outcome.writes = writes;
    // The last commit wins: what is stored now is a version that was written.
    if (!written.has(sha256(await collect((readers[0] as ArtifactClient).openStream(key)))))
      outcome.unknown.push("final");
    return outcome;
  }

  const clients = (...indexes: number[]) => indexes.map((i) => (plugins[i] as (typeof plugins)[number]).client);

  it(`${READS} reads during continuous rewrites from other processes: each is exactly one written version`, {
    timeout: 300_000,
  }, async () => {
    const outcome = await race("shared/model/latest", READS, clients(0, 1), clients(0, 1, 2));
    expect(outcome).toMatchObject({ errors: [], unknown: [] });
    expect(outcome.writes).toBeGreaterThan(50); // the reads really raced rewrites
  });

  it("the same with a drive away, and a writer killed with kill -9 half way", { timeout: 300_000 }, async () => {
    const away = store.drives[5] as string;
    await rename(away, `${away}.away`);
    try {
      const victim = plugins[PROCESSES] as (typeof plugins)[number];
      const outcome = await race(
        "shared/model/degraded",
        1000,
        [...clients(0), victim.client],
        clients(0, 1, 2),
        async () => {
          victim.child.kill("SIGKILL"); // perhaps holding the lease: the other writer must go on
          await once(victim.child, "exit");
        },
      );
      expect(outcome).toMatchObject({ errors: [], unknown: [] });
      expect(outcome.writes).toBeGreaterThan(20);
    } finally {
      await rename(`${away}.away`, away);
    }
  });
});

describe("commit leases", () => {
  let store: TestStore;
  const holders: ChildProcess[] = [];
  beforeAll(async () => {
    store = await makeStore(3);
  });
  afterEach(() => {
    for (const child of holders.splice(0)) child.kill("SIGKILL");
  });
  afterAll(() => store.remove());

  /** A driver whose leases live `ttl` ms without renewal. */
  const driver = (ttl: number) => createLocalDriver(localConfigSchema.parse(store.config), { leaseTtlMs: ttl });

  /** Starts a process that takes the lease of `key` and holds it, renewing, until killed. */
  async function holdInChild(key: string, ttl: number): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      [path.resolve("test/local/lease-holder.ts"), JSON.stringify(store.config), key, String(ttl)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    holders.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("held") && resolve());
      child.once("exit", (code) => reject(new Error(`lease holder exited with ${code}`)));
    });
    return child;
  }

  it("a writer waits while another process holds the lease and renews it, and goes on once that holder is killed -9", async () => {
    const key = "leased/a";
    await driver(600).put(key, streamOf(Buffer.from("before")));
    const holder = await holdInChild(key, 600);
    const writer = driver(600);
    let settled = false;
    const saving = writer.put(key, streamOf(Buffer.from("after"))).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 1500)); // more than two lease lifetimes: renewed, so never broken
    expect(settled).toBe(false);
    expect((await collect(await writer.get(key))).toString()).toBe("before");
    const killedAt = Date.now();
    holder.kill("SIGKILL");
    await once(holder, "exit");
    await saving;
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect((await collect(await writer.get(key))).toString()).toBe("after");
  });

  it("a cancelled writer stops waiting for a lease at once", async () => {
    const key = "leased/cancelled";
    await driver(600).put(key, streamOf(Buffer.from("before")));
    await holdInChild(key, 600);
    const controller = new AbortController();
    const saving = driver(600).put(key, streamOf(Buffer.from("after")), { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    const cancelledAt = Date.now();
    controller.abort();
    await expect(saving).rejects.toThrow();
    expect(Date.now() - cancelledAt).toBeLessThan(500);
  });

  it("a heal pass removes the leases of a killed holder whose key is never written again", async () => {
    const holder = await holdInChild("leased/never-again", 600);
    holder.kill("SIGKILL");
    await once(holder, "exit");
    const name = createHash("sha256").update("leased/never-again").digest("hex");
    const leases = () =>
      Promise.all(store.drives.map((d) => readdir(path.join(d, "locks")))).then((all) =>
        all.flat().filter((n) => n === name),
      );
    expect(await leases()).toHaveLength(3);
    const summary = await driver(600).healAll();
    expect(summary.tempFilesRemoved).toBeGreaterThanOrEqual(3);
    expect(await leases()).toEqual([]);
  });

  /** Writes lease files for `key` as a process of another pod would. */
  const foreignLease = (key: string, renewals: number) =>
    Promise.all(
      store.drives.map((drive) => {
        const content = JSON.stringify({ owner: "otherpod-4026531836-7", token: "4a1d", renewals, ttlMs: 800 });
        return writeFile(
          path.join(drive, "locks", createHash("sha256").update(key).digest("hex")),
          content.padEnd(256),
        );
      }),
    );

  it("a lease left by a process of another pod is broken once it goes unrenewed for its lifetime", async () => {
    const key = "leased/b";
    const writer = driver(800);
    await writer.put(key, streamOf(Buffer.from("before")));
    await foreignLease(key, 0);
    const started = Date.now();
    await writer.put(key, streamOf(Buffer.from("after")));
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await collect(await writer.get(key))).toString()).toBe("after");
  });

  it("a lease another pod keeps renewing is never broken: the writer gives up with UNAVAILABLE", async () => {
    const key = "leased/c";
    const writer = driver(800);
    await writer.put(key, streamOf(Buffer.from("before")));
    let renewals = 0;
    await foreignLease(key, renewals);
    const renewing = setInterval(() => void foreignLease(key, ++renewals), 150);
    try {
      const error = await writer.put(key, streamOf(Buffer.from("after"))).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toBe(
        `'${key}' is being written by another process (otherpod-4026531836-7) and stayed locked; try again`,
      );
    } finally {
      clearInterval(renewing);
    }
    expect((await collect(await writer.get(key))).toString()).toBe("before");
  });
});
