/**
 * Misplaced blocks: a misdirected write on one drive puts a good block where
 * another belongs. Each block still matches a hash of its own bytes, so the
 * block hash binds version, shard and block: a misplaced block is a corrupt
 * shard, rebuilt from parity on read and rewritten by heal, for every layout
 * of the matrix. Where parity cannot help, no unverified byte goes out.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataLossError } from "../../src/errors.ts";
import { bytes, collect, sha256, streamOf } from "../helpers/data.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { makeStore, readBlockEntry, shardFile, type TestStore, writeBlockEntry } from "./helpers.ts";

const BLOCK = 64 * 1024;
/** Seven full blocks and a short last one. */
const SIZE = 7 * BLOCK + 1000;

/** Ways one drive can misplace blocks inside a shard file. */
const misplacements: Record<string, (file: string, k: number) => Promise<void>> = {
  "blocks 2 and 5 swapped": async (file, k) => {
    const [two, five] = [await readBlockEntry(file, BLOCK, k, 2), await readBlockEntry(file, BLOCK, k, 5)];
    await writeBlockEntry(file, BLOCK, k, 2, five);
    await writeBlockEntry(file, BLOCK, k, 5, two);
  },
  "block 2 copied over block 5": async (file, k) =>
    writeBlockEntry(file, BLOCK, k, 5, await readBlockEntry(file, BLOCK, k, 2)),
};

for (const [k, m] of [
  [4, 2],
  [3, 2],
] as const) {
  describe(`${k}+${m}: misplaced blocks`, () => {
    let store: TestStore;
    const data = bytes(SIZE);
    const key = "wf/pod/misplaced.bin";

    beforeAll(async () => {
      store = await makeStore(k + m, { dataShards: k, parityShards: m, blockSize: BLOCK });
    });
    afterAll(() => store.remove());

    const cases = Object.keys(misplacements).flatMap((how) =>
      Array.from({ length: k + m }, (_, d) => [how, d] as const),
    );
    it.each(cases)(
      "reads identical bytes with %s in the shard on drive %d, and heal rewrites the shard",
      async (how, d) => {
        const writer = store.open();
        await writer.put(key, streamOf(data, 50_000));
        const file = shardFile(store, d, key);
        const original = await readFile(file);
        await misplacements[how]!(file, k);

        const reader = store.open();
        expect(sha256(await collect(await reader.get(key)))).toBe(sha256(data));
        await reader.dispose();

        const healer = store.open();
        // The read above may have healed it already (it queues what it found damaged).
        const result = await healer.heal(key);
        if (result.state === "healed")
          expect(result).toMatchObject({ drives: [d], detail: expect.stringMatching(/bitrot check/) });
        else expect(result.state).toBe("healthy");
        expect(await healer.heal(key)).toMatchObject({ state: "healthy" });
        expect(sha256(await readFile(shardFile(store, d, key)))).toBe(sha256(original));
      },
    );

    it("reads and heals damage spread over more than m shards, at most m in any block", async () => {
      const writer = store.open();
      await writer.put(key, streamOf(data));
      const files = Array.from({ length: k + m }, (_, d) => shardFile(store, d, key));
      const originals = await Promise.all(files.map((f) => readFile(f)));
      // Every shard file gets one misplaced block, m shard files per block: no block is lost.
      const damage = async () => {
        for (const [d, file] of files.entries()) {
          const b = Math.floor(d / m) % 7;
          await writeBlockEntry(file, BLOCK, k, b, await readBlockEntry(file, BLOCK, k, (b + 1) % 7));
        }
      };
      await damage();
      const reader = store.open();
      expect(sha256(await collect(await reader.get(key)))).toBe(sha256(data));
      await reader.dispose(); // the heal the read queued
      for (const [d, file] of files.entries())
        expect(sha256(await readFile(file))).toBe(sha256(originals[d] as Buffer));

      await damage();
      const result = await store.open().heal(key);
      expect(result.state).toBe("healed");
      expect(result.drives.sort()).toEqual(Array.from({ length: k + m }, (_, d) => d));
      for (const [d, file] of files.entries())
        expect(sha256(await readFile(file))).toBe(sha256(originals[d] as Buffer));
    });

    it("sends no byte of a block it could not verify when more than m shards are misplaced", async () => {
      const writer = store.open();
      await writer.put(key, streamOf(data));
      for (let d = 0; d <= m; d++) await misplacements["block 2 copied over block 5"]!(shardFile(store, d, key), k);
      const delivered: Buffer[] = [];
      const stream = await store.open().get(key);
      const error = await (async () => {
        for await (const chunk of stream) delivered.push(chunk as Buffer);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DataLossError);
      expect((error as Error).message).toMatch(/block 5: only \d of the \d shards needed are readable/);
      const sent = Buffer.concat(delivered);
      expect(sent.length).toBeLessThanOrEqual(5 * BLOCK);
      expect(sent.equals(data.subarray(0, sent.length))).toBe(true); // every byte sent is right
    });
  });
}

describe("misplaced blocks through the server", () => {
  let t: TestServer;
  let store: TestStore;
  const data = bytes(SIZE);

  beforeAll(async () => {
    t = await startTestServer();
    store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize: BLOCK });
  });
  afterAll(async () => {
    await t.stop();
    await store.remove();
  });

  it("Load and OpenStream deliver the object intact", async () => {
    const client = t.client(
      `local: {drives: ${JSON.stringify(store.drives)}, dataShards: 4, parityShards: 2, blockSize: 64KiB}`,
    );
    await client.saveStream("misplaced/object", [data]);
    await misplacements["blocks 2 and 5 swapped"]!(shardFile(store, 0, "misplaced/object"), 4);
    await misplacements["block 2 copied over block 5"]!(shardFile(store, 3, "misplaced/object"), 4);
    expect(sha256(await collect(client.openStream("misplaced/object")))).toBe(sha256(data));
    const target = path.join(t.root, "loaded.bin");
    await client.load("misplaced/object", target);
    expect(sha256(await readFile(target))).toBe(sha256(data));
  });
});
