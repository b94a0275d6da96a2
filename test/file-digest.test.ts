/**
 * Hashing a Save's file off the event loop (src/file-digest.ts): the digest
 * of exactly the bytes opened, none if the file changed length, several
 * files at once past the worker count, and a cancel that returns only once
 * the worker has stopped reading the descriptor.
 */
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256OfFile, WORKERS } from "../src/file-digest.ts";
import { MiB } from "../src/units.ts";
import { bytes, sha256 } from "./helpers/data.ts";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "file-digest-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function fileOf(data: Buffer): Promise<string> {
  const where = path.join(scratch, `${Math.random()}.bin`);
  await writeFile(where, data);
  return where;
}

describe("sha256OfFile", () => {
  it.each([0, 1, MiB, MiB + 1, 9 * MiB + 7])("hashes the %d bytes of a file", async (size) => {
    const data = bytes(size);
    const handle = await open(await fileOf(data));
    try {
      expect(await sha256OfFile(handle, size)).toBe(sha256(data));
    } finally {
      await handle.close();
    }
  });

  it("hashes several files at once, more than there are workers, each its own", async () => {
    const datas = Array.from({ length: 5 }, (_, i) => bytes(2 * MiB + i));
    const handles = await Promise.all(datas.map(async (d) => open(await fileOf(d))));
    try {
      const digests = await Promise.all(handles.map((h, i) => sha256OfFile(h, (datas[i] as Buffer).length)));
      expect(digests).toEqual(datas.map(sha256));
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  it.each([
    ["grew", 3 * MiB - 1],
    ["shrank", 3 * MiB + 1],
    ["grew (small)", 999],
    ["shrank (small)", 1001],
  ])("gives no digest for a file that %s since it was opened", async (label, openedSize) => {
    const size = label.includes("small") ? 1000 : 3 * MiB;
    const handle = await open(await fileOf(bytes(size)));
    try {
      expect(await sha256OfFile(handle, openedSize)).toBeUndefined();
    } finally {
      await handle.close();
    }
  });

  it("drops a cancelled call still waiting for a worker at once, without waiting for the busy ones", async () => {
    const data = bytes(256 * MiB);
    const handle = await open(await fileOf(data));
    try {
      const busy = Array.from({ length: WORKERS }, () => sha256OfFile(handle, data.length));
      let busyDone = false;
      void Promise.all(busy).then(() => {
        busyDone = true;
      });
      const controller = new AbortController();
      const queued = sha256OfFile(handle, data.length, controller.signal);
      controller.abort(new Error("the Save was cancelled"));
      await expect(queued).rejects.toThrow("the Save was cancelled");
      expect(busyDone).toBe(false);
      expect(await Promise.all(busy)).toEqual(busy.map(() => sha256(data)));
    } finally {
      await handle.close();
    }
  });

  it("rejects with the signal's reason once cancelled, and hashes the next file as before", async () => {
    const data = bytes(64 * MiB);
    const handle = await open(await fileOf(data));
    try {
      const controller = new AbortController();
      const hashing = sha256OfFile(handle, data.length, controller.signal);
      controller.abort(new Error("the Save was cancelled"));
      await expect(hashing).rejects.toThrow("the Save was cancelled");
      expect(await sha256OfFile(handle, data.length)).toBe(sha256(data));
    } finally {
      await handle.close();
    }
  });
});
