/**
 * The fault matrix: for 4+2 and 3+2, every subset of up to m drives lost,
 * and every single shard truncated or with a flipped byte, still reads back
 * identical bytes; m+1 lost gives a clear error.
 */
import { mkdir, open, rm, truncate } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockHasher } from "../../drivers/local/bitrot.ts";
import { HEADER_BYTES, SHARD_FORMAT, shardSizeFor } from "../../drivers/local/format.ts";
import { DriveSet, versionUuid } from "../../drivers/local/layout.ts";
import { DataLossError, UnavailableError } from "../../src/errors.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, shardFile, subsetsOfSize, type TestStore } from "./helpers.ts";

const KiB = 1024;
/** Several blocks plus a short last one, with a small block size to keep the matrix fast. */
const SIZE = 5 * 64 * KiB + 12345;

for (const [k, m] of [
  [4, 2],
  [3, 2],
] as const) {
  describe(`${k}+${m} fault matrix`, () => {
    let store: TestStore;
    const data = bytes(SIZE);
    const key = "wf/pod/artifact.tgz";

    beforeAll(async () => {
      store = await makeStore(k + m, { dataShards: k, parityShards: m, blockSize: 64 * KiB });
    });
    afterAll(() => store.remove());

    /** Writes the object fresh, damages it, reads it with a new driver (whose healing is let finish). */
    async function afterDamage(damage: () => Promise<void>): Promise<Buffer> {
      const writer = store.open();
      await writer.delete(key);
      await writer.put(key, streamOf(data, 50_000));
      await writer.dispose();
      await damage();
      const reader = store.open();
      const read = await collect(await reader.get(key));
      await reader.dispose();
      return read;
    }

    const lossCases = Array.from({ length: m }, (_, i) => subsetsOfSize(k + m, i + 1)).flat();
    it.each(lossCases.map((lost) => [lost.join(",")]))("reads identical bytes with drives {%s} lost", async (lost) => {
      const read = await afterDamage(async () => {
        // The drive's volume comes back empty: everything on it is gone.
        for (const d of lost.split(",").map(Number)) {
          await rm(store.drives[d] as string, { recursive: true, force: true });
          await mkdir(store.drives[d] as string);
        }
      });
      expect(sha256(read)).toBe(sha256(data));
    });

    it.each(Array.from({ length: k + m }, (_, d) => [d]))(
      "reads identical bytes with the shard on drive %d truncated",
      async (d) => {
        const read = await afterDamage(() =>
          truncate(shardFile(store, d, key), HEADER_BYTES + 3 * (32 + shardSizeFor(64 * KiB, k)) + 100),
        );
        expect(sha256(read)).toBe(sha256(data));
      },
    );

    it.each(Array.from({ length: k + m }, (_, d) => [d]))(
      "reads identical bytes with a flipped byte in the shard on drive %d",
      async (d) => {
        const read = await afterDamage(async () => {
          const handle = await open(shardFile(store, d, key), "r+");
          const position = HEADER_BYTES + 2 * (32 + shardSizeFor(64 * KiB, k)) + 32 + 77; // inside block 2's shard
          const byte = Buffer.alloc(1);
          await handle.read(byte, 0, 1, position);
          byte[0] = (byte[0] as number) ^ 0x10;
          await handle.write(byte, 0, 1, position);
          await handle.close();
        });
        expect(sha256(read)).toBe(sha256(data));
      },
    );

    it.each(Array.from({ length: k + m }, (_, d) => [d]))(
      "treats a corrupt header on drive %d as a missing shard",
      async (d) => {
        const read = await afterDamage(async () => {
          const handle = await open(shardFile(store, d, key), "r+");
          await handle.write(Buffer.from("X"), 0, 1, 40);
          await handle.close();
        });
        expect(sha256(read)).toBe(sha256(data));
      },
    );

    it("refuses to deliver an object whose reassembly does not match its digest", async () => {
      // A data shard changed *with* a matching block hash: only the whole-object digest can tell.
      const writer = store.open();
      await writer.put(key, streamOf(data));
      const drives = new DriveSet(store.drives);
      const file = shardFile(store, drives.driveFor(key, 0), key);
      const hash = blockHasher(SHARD_FORMAT, versionUuid(path.basename(file)), 0);
      const shardSize = shardSizeFor(64 * KiB, k);
      const handle = await open(file, "r+");
      const shard = Buffer.alloc(shardSize);
      await handle.read(shard, 0, shardSize, HEADER_BYTES + 32);
      shard[10] = (shard[10] as number) ^ 0xff;
      await handle.write(Buffer.concat([hash(0, shard), shard]), 0, 32 + shardSize, HEADER_BYTES);
      await handle.close();
      await expect(collect(await store.open().get(key))).rejects.toThrow(/does not match its content digest/);
    });

    it(`fails clearly with ${m + 1} drives lost`, async () => {
      const writer = store.open();
      await writer.put(key, streamOf(data));
      for (let d = 0; d <= m; d++) await rm(store.drives[d] as string, { recursive: true });
      const error = await store
        .open()
        .get(key)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^local drives .* do not exist: mount a volume there or create it \\(${k} of ${k + m} drives needed\\)$`,
        ),
      );
      for (let d = 0; d <= m; d++) await mkdir(store.drives[d] as string);
    });

    it(`fails clearly with ${m + 1} shards corrupt`, async () => {
      const writer = store.open();
      await writer.put(key, streamOf(data));
      for (let d = 0; d <= m; d++) {
        const handle = await open(shardFile(store, d, key), "r+");
        await handle.write(Buffer.from("X"), 0, 1, 40); // the header's checksum no longer matches
        await handle.close();
      }
      const error = await store
        .open()
        .get(key)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(DataLossError);
      expect((error as Error).message).toBe(
        `object '${key}' cannot be read: found ${k - 1} matching shards of the ${k} needed`,
      );
    });
  });
}
