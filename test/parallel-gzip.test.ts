/** Multi-member gzip: any gunzip reads it whole; incompressible pieces are stored, not deflated. */

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createParallelGzip } from "../src/parallel-gzip.ts";
import { collect, streamOf } from "./helpers/data.ts";

async function gzipped(input: Buffer, chunk = 64 * 1024): Promise<Buffer> {
  const gzip = createParallelGzip({ pieceBytes: 256 * 1024, concurrency: 3 });
  const out = collect(gzip);
  await pipeline(streamOf(input, chunk), gzip);
  return out;
}

const text = Buffer.from("timestamp,user,value,status\n".repeat(40_000));

describe("parallel gzip", () => {
  it.each([
    ["empty", Buffer.alloc(0)],
    ["one byte", Buffer.from("x")],
    ["text over many pieces", text],
    ["random", randomBytes(1024 * 1024 + 3)],
    ["mixed", Buffer.concat([text, randomBytes(500_000), text])],
  ])("round-trips %s through zlib and GNU gzip", async (_label, input) => {
    const output = await gzipped(input);
    expect(gunzipSync(output).equals(input)).toBe(true);
    expect(execFileSync("gzip", ["-dc"], { input: output, maxBuffer: 64 * 1024 * 1024 }).equals(input)).toBe(true);
  });

  it("compresses text and stores random data at almost its own size", async () => {
    expect((await gzipped(text)).length).toBeLessThan(text.length / 5);
    const random = randomBytes(2 * 1024 * 1024);
    const stored = await gzipped(random);
    expect(stored.length).toBeLessThan(random.length * 1.01);
  });

  it("is the same whatever the input chunking", async () => {
    const input = Buffer.concat([text, randomBytes(300_000)]);
    const a = gunzipSync(await gzipped(input, 1000));
    const b = gunzipSync(await gzipped(input, 3 * 1024 * 1024));
    expect(a.equals(input) && b.equals(input)).toBe(true);
  });
});
