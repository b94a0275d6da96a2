/**
 * The store as a cache, on every backend: a Save of a file (or of each file
 * of a folder) the store already holds byte for byte sends nothing, and
 * anything else is sent as before (src/unchanged.ts). Puts are counted on
 * the real driver underneath; the contents are read back from the store.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Driver } from "../../src/driver.ts";
import type { PathPolicy } from "../../src/local-paths.ts";
import { saveFromPath } from "../../src/transfer.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, sha256, uniquePrefix, writeTree } from "../helpers/data.ts";
import { withPutHook } from "../helpers/intercept.ts";

export interface UnchangedState {
  driver: Driver;
  scratch: string;
  paths: PathPolicy;
}

/** The driver, with every put it is asked for (staged ones too) counted by key. */
function countingPuts(driver: Driver): { driver: Driver; puts: string[] } {
  const puts: string[] = [];
  return { driver: withPutHook(driver, (key) => puts.push(key)), puts };
}

export function unchangedCases(current: () => UnchangedState): void {
  describe("unchanged outputs", () => {
    const file = async (data: Buffer) => {
      const where = path.join(current().scratch, uniquePrefix("out"));
      await writeFile(where, data);
      return where;
    };

    // 3 MiB + 1 goes through the hashing worker; 1000 bytes is hashed in place; 0 is the empty object.
    it.each([0, 1000, 3 * MiB + 1])("does not send a %d-byte file the store already holds", async (size) => {
      const { driver, paths } = current();
      const k = `${uniquePrefix()}/out.bin`;
      const data = bytes(size);
      const source = await file(data);
      expect(await saveFromPath(driver, k, source, paths)).toMatchObject({ objects: 1, unchanged: 0 });
      // Hashed by a worker as it uploaded (the upload read faster than the hash here, and the file had
      // to stay open for it): the digest recorded is the file's.
      expect((await driver.stat(k)).sha256).toBe(sha256(data));
      const counted = countingPuts(driver);
      expect(await saveFromPath(counted.driver, k, source, paths)).toEqual({ objects: 1, bytes: size, unchanged: 1 });
      expect(counted.puts).toEqual([]);
      expect(sha256(await collect(await driver.get(k)))).toBe(sha256(data));
    });

    it("sends a file of the same size with other bytes, and one of another size", async () => {
      const { driver, paths } = current();
      const k = `${uniquePrefix()}/out.bin`;
      await saveFromPath(driver, k, await file(bytes(2 * MiB)), paths);
      for (const data of [Buffer.alloc(2 * MiB, 7), bytes(2 * MiB + 1)]) {
        const counted = countingPuts(driver);
        expect(await saveFromPath(counted.driver, k, await file(data), paths)).toMatchObject({ unchanged: 0 });
        expect(counted.puts).toEqual([k]);
        expect(sha256(await collect(await driver.get(k)))).toBe(sha256(data));
      }
    });

    // 1000 bytes: hashed in place; 40 MiB: by the worker, in parts (s3), blocks (azure), a resumable upload (gcs).
    it.each([1000, 40 * MiB])(
      "refuses a %d-byte file written to while being saved, and keeps what was stored",
      async (size) => {
        const { driver, paths } = current();
        const k = `${uniquePrefix()}/torn.bin`;
        const before = bytes(size);
        await saveFromPath(driver, k, await file(before), paths);
        const source = await file(bytes(size));
        // Written to in place once the Save has opened it (as its upload starts): same length, other bytes.
        const writing = withPutHook(driver, () => {
          const fd = openSync(source, "r+");
          writeSync(fd, Buffer.alloc(16, 0xee), 0, 16, Math.floor(size / 2));
          closeSync(fd);
        });
        await expect(saveFromPath(writing, k, source, paths)).rejects.toThrow(/was written to while being saved/);
        expect(sha256(await collect(await driver.get(k)))).toBe(sha256(before));
      },
    );

    it("sends everything again when skipUnchanged is off", async () => {
      const { driver, paths } = current();
      const k = `${uniquePrefix()}/out.bin`;
      const source = await file(bytes(5000));
      await saveFromPath(driver, k, source, paths);
      const counted = countingPuts(driver);
      expect(await saveFromPath(counted.driver, k, source, paths, { skipUnchanged: false })).toMatchObject({
        unchanged: 0,
      });
      expect(counted.puts).toEqual([k]);
    });

    it("sends only the changed and new files of a folder", async () => {
      const { driver, paths, scratch } = current();
      const k = `${uniquePrefix()}/model`;
      const folder = path.join(scratch, uniquePrefix("tree"));
      const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`d${i % 3}/f${i}.bin`, bytes(1000 + i)]));
      await writeTree(folder, files);
      const later = { new: bytes(77), changed: Buffer.alloc(1004, 1), shorter: bytes(9) };
      await saveFromPath(driver, k, folder, paths);
      await writeFile(path.join(folder, "d1/f4.bin"), later.changed); // same size, other bytes
      await writeFile(path.join(folder, "d2/f5.bin"), later.shorter);
      await writeFile(path.join(folder, "d0/new.bin"), later.new);
      const counted = countingPuts(driver);
      expect(await saveFromPath(counted.driver, k, folder, paths)).toMatchObject({ objects: 13, unchanged: 10 });
      expect(counted.puts.sort()).toEqual([`${k}/d0/new.bin`, `${k}/d1/f4.bin`, `${k}/d2/f5.bin`]);
      const read = async (name: string) => sha256(await collect(await driver.get(`${k}/${name}`)));
      expect(await read("d1/f4.bin")).toBe(sha256(later.changed));
      expect(await read("d2/f5.bin")).toBe(sha256(later.shorter));
      expect(await read("d0/new.bin")).toBe(sha256(later.new));
      expect(await read("d0/f3.bin")).toBe(sha256(files["d0/f3.bin"] as Buffer));
    });
  });
}
