/**
 * A backend that fails in the middle of a read must fail the call, never
 * end it early as if the artifact were shorter. The `faulty` backend wraps
 * the local driver and breaks every read after `failAfter` bytes, and every
 * put of a key ending in `failPutOf`.
 */
import { mkdtemp, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { localConfigSchema } from "../drivers/local/config.ts";
import { createLocalDriver } from "../drivers/local/index.ts";
import { absolutePath } from "../src/config.ts";
import type { Driver } from "../src/driver.ts";
import { backend, backends, DriverRegistry } from "../src/registry.ts";
import { MiB } from "../src/units.ts";
import { bytes, collect, streamOf, uniquePrefix, writeTree } from "./helpers/data.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const faultySchema = z.strictObject({ drive: absolutePath, failAfter: z.number(), failPutOf: z.string().optional() });

/** The local driver, except that reads die with EIO after `failAfter` bytes. */
function createFaultyDriver(config: z.infer<typeof faultySchema>): Driver {
  // Without the local store's staging: a driver that stores file by file, as the object stores
  // do, so a failed directory Save shows what saveFromPath leaves of such a driver.
  const { stage: _stage, ...local } = createLocalDriver(localConfigSchema.parse({ drives: [config.drive] }));
  return {
    ...local,
    async put(key, body, options) {
      if (config.failPutOf && key.endsWith(config.failPutOf)) {
        body.destroy();
        throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      }
      await new Promise((r) => setTimeout(r, 20)); // let sibling uploads overlap
      return local.put(key, body, options);
    },
    async get(key, options) {
      const source = await local.get(key, options);
      async function* broken(): AsyncGenerator<Buffer> {
        let sent = 0;
        for await (const chunk of source as AsyncIterable<Buffer>) {
          const room = config.failAfter - sent;
          if (chunk.length >= room) {
            if (room > 0) yield chunk.subarray(0, room);
            source.destroy();
            throw Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" });
          }
          sent += chunk.length;
          yield chunk;
        }
      }
      return Readable.from(broken(), { objectMode: false });
    },
  };
}

let t: TestServer;
let drive: string;
const faultyConfig = (failAfter: number) => `faulty: {drive: ${JSON.stringify(drive)}, failAfter: ${failAfter}}`;

beforeAll(async () => {
  drive = await mkdtemp(path.join(os.tmpdir(), "faulty-"));
  const registry = new DriverRegistry({ backends: { ...backends, faulty: backend(faultySchema, createFaultyDriver) } });
  t = await startTestServer({ registry });
});
afterAll(() => t.stop());

describe("a failed directory Save", () => {
  it("settles every upload before it answers: nothing is published afterwards, and what it stored is whole", async () => {
    const key = `${uniquePrefix()}/dir`;
    const source = path.join(t.root, uniquePrefix("tree"));
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 12; i++) files[`f${String(i).padStart(2, "0")}.bin`] = bytes(1000);
    files["sub/zz-fails.bin"] = bytes(10);
    await writeTree(source, files);
    const config = `faulty: {drive: ${JSON.stringify(drive)}, failAfter: 1000000, failPutOf: zz-fails.bin}`;
    await expect(t.client(config).save(source, key)).rejects.toMatchObject({
      code: "INTERNAL",
      message: expect.stringContaining("ENOSPC"),
    });
    const stored = await t
      .client(config)
      .listObjects(key)
      .catch(() => [] as string[]);
    await new Promise((r) => setTimeout(r, 200)); // anything still running would publish by now
    expect(
      await t
        .client(config)
        .listObjects(key)
        .catch(() => [] as string[]),
    ).toEqual(stored);
    expect(stored).not.toContain(`${key}/sub/zz-fails.bin`);
    for (const object of stored)
      expect(files[object.slice(key.length + 1)]?.length).toBe(
        (await collect(t.client(config).openStream(object))).length,
      );
  });
});

describe("a read error in the middle of an artifact", () => {
  it("fails OpenStream with the error instead of ending it short", async () => {
    const key = `${uniquePrefix()}/object`;
    await t.client(faultyConfig(Number.MAX_SAFE_INTEGER)).saveStream(key, streamOf(bytes(5 * MiB)));
    const stream = t.client(faultyConfig(3 * MiB + 5)).openStream(key);
    let received = 0;
    const consumed = (async () => {
      for await (const chunk of stream) received += (chunk as Buffer).length;
    })();
    await expect(consumed).rejects.toMatchObject({ code: "INTERNAL", message: expect.stringContaining("EIO") });
    expect(received).toBeGreaterThanOrEqual(3 * MiB); // frames sent before the failure arrived...
    expect(received).toBeLessThan(5 * MiB); // ...but the call ended in an error, not as a short success
  });

  it("fails OpenStream of a directory as tar.gz", async () => {
    const key = `${uniquePrefix()}/dir`;
    const source = path.join(t.root, uniquePrefix("tree"));
    await writeTree(source, { "a.bin": bytes(2 * MiB), "b.bin": bytes(2 * MiB) });
    await t.client(faultyConfig(Number.MAX_SAFE_INTEGER)).save(source, key);
    await expect(collect(t.client(faultyConfig(MiB)).openStream(key))).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("fails Load and leaves nothing at the destination", async () => {
    const key = `${uniquePrefix()}/object`;
    const source = path.join(t.root, "source.bin");
    await writeFile(source, bytes(4 * MiB));
    await t.client(faultyConfig(Number.MAX_SAFE_INTEGER)).save(source, key);
    const dest = path.join(t.root, uniquePrefix("dest"));
    await expect(t.client(faultyConfig(MiB)).load(key, dest)).rejects.toMatchObject({
      code: "INTERNAL",
      message: expect.stringContaining("EIO"),
    });
    await expect(stat(dest)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
