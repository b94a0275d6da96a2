/**
 * A Save's file reads lend their buffers (src/save-source.ts, the stream's
 * RECYCLE): a chunk given back is read into again, but only the very chunk
 * yielded, once; a chunk kept is never overwritten. A mistake here would
 * store another part of the file in its place.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recyclerOf } from "../src/driver.ts";
import { PathPolicy } from "../src/local-paths.ts";
import { openSaveSource } from "../src/save-source.ts";
import { MiB } from "../src/units.ts";
import { bytes, sha256 } from "./helpers/data.ts";

let root: string;
let file: string;
const data = bytes(9 * MiB + 4321);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "save-source-"));
  file = path.join(root, "big.bin");
  await writeFile(file, data);
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function open() {
  const source = await openSaveSource(file, new PathPolicy([root]));
  if (source.kind !== "file") throw new Error("expected a file");
  return source.file;
}

describe("a Save's file reads", () => {
  it("read again into chunks given back, and deliver every byte in order", async () => {
    const source = await open();
    const stream = source.stream();
    const recycle = recyclerOf(stream);
    expect(recycle).toBeTypeOf("function");
    const memory = new Set<ArrayBufferLike>();
    const copies: Buffer[] = [];
    let chunks = 0;
    for await (const chunk of stream) {
      copies.push(Buffer.from(chunk as Buffer));
      memory.add((chunk as Buffer).buffer);
      chunks++;
      recycle?.(chunk as Buffer);
    }
    expect(sha256(Buffer.concat(copies))).toBe(sha256(data));
    expect(chunks).toBeGreaterThanOrEqual(10);
    expect(memory.size).toBeLessThan(chunks / 2); // reused, not one buffer per chunk
  });

  it("never read into a chunk that was kept, or that came back only as a slice", async () => {
    const source = await open();
    const stream = source.stream();
    const recycle = recyclerOf(stream) as (chunk: Buffer) => void;
    const kept: Buffer[] = [];
    let index = 0;
    for await (const chunk of stream) {
      const piece = chunk as Buffer;
      if (index % 3 === 0)
        kept.push(piece); // kept whole
      else if (index % 3 === 1) {
        kept.push(piece);
        recycle(piece.subarray(0, piece.length - 1)); // a slice: must not count as given back
      } else {
        kept.push(Buffer.from(piece));
        recycle(piece);
        recycle(piece); // twice: must not be handed out twice
      }
      index++;
    }
    expect(sha256(Buffer.concat(kept))).toBe(sha256(data));
  });
});
