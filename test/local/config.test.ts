/** The local backend's layout: MinIO's defaults, and field-named errors for impossible layouts. */
import { describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { InvalidConfigError } from "../../src/errors.ts";
import { parseConfiguration } from "../../src/registry.ts";

const drives = (n: number) => Array.from({ length: n }, (_, i) => `/mnt/d${i}`);

describe("local layout", () => {
  it.each([
    [1, 1, 0],
    [2, 1, 1],
    [3, 2, 1],
    [4, 2, 2],
    [6, 3, 3],
    [8, 4, 4],
    [12, 8, 4],
    [16, 12, 4],
  ])("%d drives default to %d+%d", (n, k, m) => {
    expect(localConfigSchema.parse({ drives: drives(n) })).toMatchObject({
      dataShards: k,
      parityShards: m,
      blockSize: 1048576,
    });
  });

  it("derives the other shard count from the one given", () => {
    expect(localConfigSchema.parse({ drives: drives(6), dataShards: 4 })).toMatchObject({
      dataShards: 4,
      parityShards: 2,
    });
    expect(localConfigSchema.parse({ drives: drives(6), parityShards: 2, blockSize: "512KiB" })).toMatchObject({
      dataShards: 4,
      blockSize: 524288,
    });
  });

  it.each([
    [
      "k + m ≠ N",
      "local: {drives: [/a, /b, /c, /d], dataShards: 2, parityShards: 1}",
      "local.dataShards: expected dataShards + parityShards to equal the 4 drives",
    ],
    [
      "m > k",
      "local: {drives: [/a, /b, /c, /d], dataShards: 1, parityShards: 3}",
      "local.parityShards: expected at most as many parity shards as data shards (1)",
    ],
    ["duplicate drives", "local: {drives: [/a, /b, /a/]}", "local.drives[2]: expected a drive distinct from drives[0]"],
    [
      "nested drives",
      "local: {drives: [/data, /data/more]}",
      "local.drives[1]: expected a drive not nested with drives[0]",
    ],
    [
      "bad block size",
      "local: {drives: [/a], blockSize: 1GB}",
      "local.blockSize: expected a size such as 1MiB, 512KiB or 1048576",
    ],
    ["tiny block size", "local: {drives: [/a], blockSize: 100}", "local.blockSize: expected at least 64KiB"],
    ["too much parity", "local: {drives: [/a], parityShards: 9}", "local.parityShards: expected at most 6"],
  ])("refuses %s", (_label, yaml, message) => {
    const error = (() => {
      try {
        parseConfiguration(yaml);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toContain(message);
  });
});
