/**
 * Input that is large or hostile costs milliseconds, never the server: the
 * configuration is capped before parsing, checked in one pass, its aliases
 * and values bounded; the parse cache is bounded in bytes; a huge key is cut
 * in replies and logs. A concurrent call is not delayed meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.ts";
import { DriverRegistry } from "../src/registry.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let t: TestServer;
const logs: string[] = [];
const registry = new DriverRegistry();
beforeAll(async () => {
  t = await startTestServer({ registry, log: createLogger({ write: (line) => logs.push(line) }) });
});
afterAll(() => t.stop());

const manyKeys = (n: number) =>
  `local: {drives: [/x]}\n${Array.from({ length: n }, (_, i) => `k${i}: 1`).join("\n")}\n`;
const laughs = [
  "a: &a [x, x, x, x, x, x, x, x, x]",
  ...Array.from(
    { length: 8 },
    (_, i) =>
      `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(97 + i)}`)
        .join(", ")}]`,
  ),
].join("\n");

describe("hostile configurations", () => {
  it.each([
    ["1 MiB of 80,000 keys", manyKeys(80_000), /configuration is \d+ bytes; at most 65536 are accepted/],
    ["60 KiB of 6,000 keys", manyKeys(6_000).slice(0, 60 * 1024), /holds too many entries/],
    ["10,000 drives", `local: {drives: [${Array(10_000).fill("/a").join(",")}]}`, /holds too many entries/],
    ["a billion laughs", `${laughs}\nlocal: {drives: *i}`, /expands too many aliases/],
    ["a repeated key", "local: {drives: [/x]}\nlocal: {drives: [/y]}", /line 2, column 1: duplicate key/],
  ])("refuses %s with INVALID_ARGUMENT within milliseconds", async (_label, configuration, message) => {
    const started = performance.now();
    await expect(t.client(configuration).delete("k")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      message: expect.stringMatching(message),
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("does not count comments: ruler lines and notes cost nothing", async () => {
    const ruled = `# ${"-".repeat(400)}\n# notes: a, b, c - d\n${"# -----\n".repeat(50)}local: {drives: [${JSON.stringify(t.dataDir)}]}  # the store\n`;
    expect(await t.client(ruled).isDirectory("k")).toBe(false);
  });

  it("does not delay a concurrent call", async () => {
    const hostile = Array.from({ length: 20 }, (_, i) =>
      t
        .client(manyKeys(6_000 + i).slice(0, 64 * 1024 - 1))
        .delete("k")
        .catch(() => {}),
    );
    const started = performance.now();
    expect(await t.client().supportsSaveStream()).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
    await Promise.all(hostile);
  });

  it("bounds the parse cache in bytes", async () => {
    // 120 distinct valid configurations of 60 KiB each (a long comment), 7 MiB in all.
    for (let i = 0; i < 120; i++) {
      const configuration = `# ${String(i).padStart(4, "0")} ${"c".repeat(60 * 1024)}\nlocal: {drives: [${JSON.stringify(t.dataDir)}]}\n`;
      await t.client(configuration).isDirectory("k");
    }
    expect(registry.parseCacheBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

describe("huge keys", () => {
  it("are cut in the reply and in the log line", async () => {
    logs.length = 0;
    const key = "k".repeat(7 * 1024 * 1024);
    const error = await t
      .client()
      .delete(key)
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((error as Error).message.length).toBeLessThan(1024);
    const line = logs.find((l) => l.includes('"Delete failed"')) ?? "";
    expect(line).not.toBe("");
    expect(line.length).toBeLessThan(2048);
  });
});
