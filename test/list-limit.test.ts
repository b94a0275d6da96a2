/**
 * A ListObjects reply must fit in what Argo's Go client accepts (4 MiB, and
 * test/interop proves the figure with Argo's own client). At exactly the
 * limit the reply goes out whole; one byte over, the call says how many
 * objects there are and what the limit is. The `listing` backend lists
 * synthetic keys of chosen lengths and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Driver, ObjectInfo } from "../src/driver.ts";
import { NotFoundError } from "../src/errors.ts";
import { ARGO_MAX_MESSAGE_BYTES, repeatedStringBytes } from "../src/proto.ts";
import { backend, backends, DriverRegistry } from "../src/registry.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

const listingSchema = z.strictObject({ lastKeyBytes: z.number() });
/** 4,181 keys `big/<996 x's and a number>` of 1,000 bytes, then one of `lastKeyBytes`. */
function keysOf(lastKeyBytes: number): string[] {
  const keys = Array.from({ length: 4181 }, (_, i) => `big/${String(i).padStart(5, "0")}${"x".repeat(991)}`);
  keys.push(`big/${"y".repeat(lastKeyBytes - 4)}`);
  return keys;
}
function createListingDriver(config: z.infer<typeof listingSchema>): Driver {
  const none = async () => {
    throw new NotFoundError("nothing is stored here");
  };
  return {
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      for (const key of keysOf(config.lastKeyBytes)) if (key.startsWith(prefix)) yield { key, size: 0 };
    },
    get: none,
    put: none,
    stat: none,
    delete: async () => {},
    deletePrefix: async () => 0,
    dispose: async () => {},
  };
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    registry: new DriverRegistry({ backends: { ...backends, listing: backend(listingSchema, createListingDriver) } }),
  });
});
afterAll(() => t.stop());

describe("a ListObjects reply", () => {
  // 2 bytes of empty `error` field, 4,181 entries of 1,003 bytes, and one of 759 (a 756-byte key) make 4 MiB.
  const exact = 756;
  it("of exactly 4 MiB goes out whole", async () => {
    const keys = keysOf(exact);
    expect(repeatedStringBytes("") + keys.reduce((sum, key) => sum + repeatedStringBytes(key), 0)).toBe(
      ARGO_MAX_MESSAGE_BYTES,
    );
    const listed = await t.client(`listing: {lastKeyBytes: ${exact}}`).listObjects("big");
    expect(listed).toHaveLength(keys.length);
    expect(listed).toEqual([...keys].sort());
  });

  it("one byte over is RESOURCE_EXHAUSTED, naming the count and the limit", async () => {
    const error = await t
      .client(`listing: {lastKeyBytes: ${exact + 1}}`)
      .listObjects("big")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RESOURCE_EXHAUSTED" });
    expect((error as Error).message).toContain("at least 4182 objects");
    expect((error as Error).message).toContain("over the 4194304 bytes (4 MiB)");
  });
});
