/**
 * What a stalled download keeps alive, checked by the garbage collector
 * rather than by RSS: while a frame waits for HTTP/2, neither the framing
 * nor the local store's reader may refer to the bytes it was cut from
 * (grpc-js serialised a copy). Otherwise each stalled call holds two or
 * three frames instead of one. And while many calls are stalled, every call
 * cuts small frames, so each further stalled call holds a small one.
 */
import { once } from "node:events";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, describe, expect, it } from "vitest";
import { localConfigSchema } from "../drivers/local/config.ts";
import { createLocalDriver } from "../drivers/local/index.ts";
import { SMALL_PIECE_BYTES, STALLED_OUTPUT, StalledOutput } from "../src/concurrency.ts";
import { type FrameSink, sendFrames } from "../src/frames.ts";
import type { OpenStreamResponse } from "../src/generated/artifact/OpenStreamResponse.ts";
import { MiB } from "../src/units.ts";
import { collect } from "./helpers/data.ts";
import { generatedBody } from "./helpers/memory.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** True once nothing refers to what `ref` points at any more. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref() !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
  return ref.deref() === undefined;
}

/**
 * A sink that copies each frame as grpc-js does, takes the first at once and
 * never takes the second. It keeps the callbacks, as HTTP/2 does: else the
 * waiting call would be unreachable, and collected with all it holds.
 */
class StallingSink implements FrameSink {
  readonly cancelled = false;
  readonly copies: Buffer[] = [];
  readonly callbacks: unknown[] = [];
  write(frame: OpenStreamResponse, callback?: (error?: Error | null) => void): boolean {
    this.copies.push(Buffer.from(frame.data as Buffer));
    this.callbacks.push(callback);
    if (this.copies.length === 1) setImmediate(() => callback?.());
    return true;
  }
  on(): this {
    return this;
  }
  removeListener(): this {
    return this;
  }
}

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** A 2+1 local store with 16 MiB blocks. */
async function localStore() {
  const root = await mkdtemp(path.join(os.tmpdir(), "stalled-frames-"));
  roots.push(root);
  const drives = Array.from({ length: 3 }, (_, i) => path.join(root, `d${i}`));
  for (const d of drives) await mkdir(d);
  return createLocalDriver(localConfigSchema.parse({ drives, dataShards: 2, parityShards: 1, blockSize: "16MiB" }));
}

/** Marks 9 MiB of output as stalled (as nine stalled calls would) for the time of `work`. */
async function underPressure<T>(work: () => Promise<T>): Promise<T> {
  const stalledCalls = Array.from({ length: 9 }, () => STALLED_OUTPUT.watch(MiB));
  await new Promise((r) => setTimeout(r, 150));
  try {
    expect(STALLED_OUTPUT.pressed).toBe(true);
    return await work();
  } finally {
    for (const taken of stalledCalls) taken();
  }
}

describe("a stalled download", () => {
  it("keeps no reference to the chunk its waiting frame was cut from", async () => {
    const refs: WeakRef<Buffer>[] = [];
    const tracked = (chunk: Buffer) => {
      refs.push(new WeakRef(chunk));
      return chunk;
    };
    async function* chunks(): AsyncGenerator<Buffer> {
      // No local: a generator keeps its locals while it waits at a yield.
      for (let i = 0; i < 4; i++) yield tracked(Buffer.alloc(MiB, i + 1));
    }
    const sink = new StallingSink();
    void sendFrames(chunks(), sink);
    while (sink.copies.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(refs).toHaveLength(2); // the next chunk is not even read while a frame waits
    expect(sink.copies[1]?.[0]).toBe(2);
    expect(await collected(refs[1] as WeakRef<Buffer>), "the chunk behind the waiting frame is still referenced").toBe(
      true,
    );
  });

  it("keeps no piece of a local object alive in the reader while its consumer holds none", async () => {
    const driver = await localStore();
    try {
      await driver.put("big", generatedBody(40 * MiB, 3));
      const stream = await driver.get("big");
      await once(stream, "readable");
      // One read, and the stream waits at the reader's yield of that piece (no read-ahead: the
      // stream's buffer is empty and its high-water mark 0).
      const ref = new WeakRef(stream.read() as Buffer);
      expect(ref.deref()?.length).toBe(MiB); // a copy of a piece of a 16 MiB block, not the block
      expect(await collected(ref), "the reader still refers to the piece it handed out").toBe(true);
      stream.destroy();
    } finally {
      await driver.dispose();
    }
  });
});

describe("many stalled downloads", () => {
  it("count as stalled only what waits longer than the limit's delay, and uncount it when taken", async () => {
    const gauge = new StalledOutput(100, 30);
    const taken = gauge.watch(150);
    expect(gauge.pressed).toBe(false); // a frame taken at once is never counted
    await new Promise((r) => setTimeout(r, 60));
    expect(gauge.pressed).toBe(true);
    expect(gauge.pieceBytes(1000, 10)).toBe(10);
    taken();
    taken(); // twice is harmless
    expect(gauge.pressed).toBe(false);
    expect(gauge.pieceBytes(1000, 10)).toBe(1000);
    gauge.watch(150)(); // taken before the delay: never counted
    await new Promise((r) => setTimeout(r, 60));
    expect(gauge.pressed).toBe(false);
  });

  it("make every call cut small frames while they last, and full frames again after", async () => {
    const frameSizes = async () => {
      const sizes: number[] = [];
      const sink: FrameSink = {
        cancelled: false,
        write: (frame, callback) => {
          if (frame.data) sizes.push((frame.data as Buffer).length);
          setImmediate(() => callback?.());
          return true;
        },
        on: () => sink,
        removeListener: () => sink,
      };
      await sendFrames(
        (async function* () {
          yield Buffer.alloc(2 * MiB, 1);
        })(),
        sink,
      );
      return sizes;
    };
    expect(await underPressure(frameSizes)).toEqual(Array(32).fill(SMALL_PIECE_BYTES));
    expect(await frameSizes()).toEqual([MiB, MiB]);
  });

  it("make the local store's reads cut small pieces while they last", async () => {
    const driver = await localStore();
    try {
      const content = await collect(generatedBody(3 * MiB, 5));
      await driver.put("obj", Readable.from([content]));
      const pieces = await underPressure(async () => {
        const sizes: number[] = [];
        const parts: Buffer[] = [];
        for await (const piece of await driver.get("obj")) {
          sizes.push(piece.length);
          parts.push(piece);
        }
        expect(Buffer.concat(parts).equals(content)).toBe(true);
        return sizes;
      });
      expect(Math.max(...pieces)).toBe(SMALL_PIECE_BYTES);
    } finally {
      await driver.dispose();
    }
  });
});
