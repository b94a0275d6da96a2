/**
 * The resuming reader the object-store drivers share, on plain streams: what
 * it does with a body that breaks, stalls, comes up short, or whose object
 * disappears. (The same paths run against MinIO, Azurite and fake-gcs-server
 * through a fault-injecting proxy in test/{s3,azure,gcs}/.)
 */
import { PassThrough, type Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { resumableRead } from "../drivers/resumable-read.ts";
import { NotFoundError, UnavailableError } from "../src/errors.ts";
import { bytes, collect } from "./helpers/data.ts";

const data = bytes(10_000);
/** A body that sends `data` from `offset`, and then, if `failAt` is set, breaks or stalls there. */
function body(offset: number, fault?: { at: number; kind: "reset" | "stall" }): Readable {
  const stream = new PassThrough();
  stream.write(data.subarray(offset, fault ? fault.at : data.length));
  if (!fault) stream.end();
  else if (fault.kind === "reset")
    setImmediate(() => stream.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })));
  return stream; // "stall": stays open, sends nothing more
}
const options = { length: data.length, maxRetries: 3, mapError: (e: unknown) => e as Error };

describe("resumable read", () => {
  it("resumes a reset body from the byte where it broke", async () => {
    const offsets: number[] = [];
    const read = resumableRead(body(0, { at: 4000, kind: "reset" }), {
      ...options,
      reopen: async (offset) => {
        offsets.push(offset);
        return body(offset);
      },
    });
    expect((await collect(read)).equals(data)).toBe(true);
    expect(offsets).toEqual([4000]);
  });

  it("gives up a body that stalls while it is being waited for, and resumes", async () => {
    const read = resumableRead(body(0, { at: 3000, kind: "stall" }), {
      ...options,
      idleMs: 200,
      reopen: async (offset) => body(offset),
    });
    expect((await collect(read)).equals(data)).toBe(true);
  });

  it("does not count the time the consumer spends not reading", async () => {
    const read = resumableRead(body(0), {
      ...options,
      idleMs: 100,
      reopen: async () => {
        throw new Error("must not reopen");
      },
    });
    const first = await new Promise<Buffer>((resolve) => read.once("data", resolve));
    read.pause();
    await new Promise((r) => setTimeout(r, 400));
    read.resume();
    expect(Buffer.concat([first, await collect(read)]).equals(data)).toBe(true);
  });

  it("fails a body that ends short once the retries are spent, never ending quietly", async () => {
    const short = () => {
      const s = new PassThrough();
      s.end(data.subarray(0, 10));
      return s;
    };
    const read = resumableRead(short(), { ...options, maxRetries: 2, reopen: async () => short() });
    await expect(collect(read)).rejects.toThrow(/ended after/);
  });

  it("reports an object that disappeared mid-read as UNAVAILABLE, not NOT_FOUND", async () => {
    const read = resumableRead(body(0, { at: 500, kind: "reset" }), {
      ...options,
      reopen: async () => {
        throw new NotFoundError("object 'k' not found");
      },
      mapError: (e: unknown) => e as Error,
    });
    await expect(collect(read)).rejects.toBeInstanceOf(UnavailableError);
  });

  it("stops at once when its consumer destroys it, even in a backoff", async () => {
    let reopened = false;
    const read = resumableRead(body(0, { at: 100, kind: "reset" }), {
      ...options,
      reopen: async (offset) => {
        reopened = true;
        return body(offset);
      },
    });
    read.once("data", () => read.destroy());
    await new Promise((r) => read.once("close", r));
    await new Promise((r) => setTimeout(r, 300));
    expect(reopened).toBe(false);
  });
});
