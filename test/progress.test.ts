/** The CLI's progress line: drawn only on a terminal, with percent, amount and rate. */
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { createProgress } from "../src/progress.ts";
import { collect, streamOf } from "./helpers/data.ts";

function fakeTerminal(isTTY: boolean): NodeJS.WriteStream & { text(): string } {
  const out = new PassThrough() as unknown as NodeJS.WriteStream & { text(): string };
  let written = "";
  out.write = ((chunk: string) => {
    written += chunk;
    return true;
  }) as NodeJS.WriteStream["write"];
  Object.assign(out, { isTTY, text: () => written });
  return out;
}

describe("progress", () => {
  it("draws a bar with percent and size on a terminal, and passes bytes through untouched", async () => {
    const out = fakeTerminal(true);
    const progress = createProgress("get k", 2 * 1024 * 1024, out);
    const data = Buffer.alloc(2 * 1024 * 1024, 5);
    const meter = progress.meter();
    const received = collect(meter);
    await pipeline(streamOf(data), meter);
    progress.done();
    expect((await received).equals(data)).toBe(true);
    expect(out.text()).toMatch(/get k \[#{24}\] 100% 2\.0 \/ 2\.0 MiB {2}[\d.]+ MiB\/s\n$/);
  });

  it("draws nothing when stderr is not a terminal", async () => {
    const out = fakeTerminal(false);
    const progress = createProgress("put k", 10, out);
    await pipeline(streamOf(Buffer.alloc(10)), progress.meter(), new PassThrough().resume());
    progress.done();
    expect(out.text()).toBe("");
  });
});
