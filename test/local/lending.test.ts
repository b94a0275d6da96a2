/**
 * Block buffers lent to a reader's consumer (drivers/local/block-window.ts,
 * the stream's RECYCLE): a buffer given back is reused, but only the very
 * view that was lent, only once, and never while a consumer that did not
 * give it back still holds it. A mistake here delivers another read's bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { lend, takeBack } from "../../drivers/local/block-window.ts";
import { recyclerOf } from "../../src/driver.ts";
import { bytes, sha256, streamOf } from "../helpers/data.ts";
import { makeStore, type TestStore } from "./helpers.ts";

const stores: TestStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.remove()));
});

const SIZE = 7 * 1024; // odd sizes of our own: no other test's buffers in the spare lists

describe("local block buffers lent to consumers", () => {
  it("come back once, as the view lent, and are then reused", () => {
    const first = lend(SIZE);
    takeBack(first);
    expect(lend(SIZE)).toBe(first); // reused

    const second = lend(SIZE + 8);
    takeBack(second.subarray(0, SIZE)); // a slice: part may still be held elsewhere
    takeBack(second.subarray(8));
    expect(lend(SIZE + 8)).not.toBe(second);
    takeBack(second);
    takeBack(second); // twice: must not be in the spare list twice (two reads would share it)
    const a = lend(SIZE + 8);
    const b = lend(SIZE + 8);
    expect(a).toBe(second);
    expect(b).not.toBe(second);

    takeBack(Buffer.alloc(SIZE + 16)); // never lent: not taken
    expect(lend(SIZE + 16)).toBeInstanceOf(Buffer);
  });

  for (const [label, blockSize] of [
    ["small blocks, lent whole", 64 * 1024],
    ["large blocks, lent as copied pieces", 4 * 1024 * 1024],
  ] as const) {
    it(`${label}: chunks given back are reused by later reads, chunks kept stay intact`, async () => {
      const store = await makeStore(6, { dataShards: 4, parityShards: 2, blockSize });
      stores.push(store);
      const driver = store.open();
      const kept = bytes(3 * blockSize + 12_345);
      const other = bytes(5 * blockSize + 777);
      await driver.put("kept", streamOf(kept));
      await driver.put("other", streamOf(other));

      // A consumer that keeps every chunk and gives none back.
      const held: Buffer[] = [];
      for await (const chunk of await driver.get("kept")) held.push(chunk as Buffer);

      // Consumers that give every chunk back, many times over: their buffers are reused.
      const seen = new Set<ArrayBufferLike>();
      for (let round = 0; round < 4; round++) {
        const stream = await driver.get("other");
        const recycle = recyclerOf(stream);
        expect(recycle).toBeTypeOf("function");
        const parts: Buffer[] = [];
        for await (const chunk of stream) {
          parts.push(Buffer.from(chunk as Buffer));
          seen.add((chunk as Buffer).buffer);
          recycle?.(chunk as Buffer);
        }
        expect(sha256(Buffer.concat(parts))).toBe(sha256(other));
      }
      // Four reads of six blocks each went through far fewer buffers than 24: they were reused.
      expect(seen.size).toBeLessThan(12);
      // And none of them was one the first consumer still holds.
      expect(sha256(Buffer.concat(held))).toBe(sha256(kept));
      for (const chunk of held) expect(seen.has(chunk.buffer)).toBe(false);
    });
  }
});
