/** The conformance suite against the local backend: on one temp drive, and erasure-coded 2+1 over three with small blocks. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { PermissionDeniedError } from "../../src/errors.ts";
import { MiB } from "../../src/units.ts";
import { runConformanceSuite } from "./suite.ts";

for (const layout of [
  { drives: 1, blockSize: MiB },
  { drives: 3, dataShards: 2, parityShards: 1, blockSize: 256 * 1024 },
]) {
  const { drives: count, ...shape } = layout;
  const label =
    count === 1
      ? "one drive"
      : `${shape.dataShards}+${shape.parityShards} over ${count} drives, ${shape.blockSize / 1024} KiB blocks`;
  runConformanceSuite(
    `local (${label})`,
    async () => {
      const drives = await Promise.all(
        Array.from({ length: count }, () => mkdtemp(path.join(os.tmpdir(), "local-drive-"))),
      );
      const config = { drives, ...shape };
      return {
        driver: createLocalDriver(localConfigSchema.parse(config)),
        configuration: `local: ${JSON.stringify(config)}`,
        teardown: async () => {
          await Promise.all(drives.map((d) => rm(d, { recursive: true, force: true })));
        },
      };
    },
    {
      partBytes: shape.blockSize,
      // A stripe per block in flight (4 of them, with parity), reused: memory does not follow the object.
      memory: { bytes: 512 * MiB, maxGrowthMiB: 160 },
    },
  );
}

describe("local drive allow-list (MULTISTORE_LOCAL_DRIVES)", () => {
  it("refuses a drive outside the allowed roots", () => {
    expect(() =>
      createLocalDriver(localConfigSchema.parse({ drives: ["/etc/kubernetes"] }), {
        allowedRoots: ["/data", "/mnt/store"],
      }),
    ).toThrow(PermissionDeniedError);
    expect(() =>
      createLocalDriver(localConfigSchema.parse({ drives: ["/mnt/store-evil"] }), {
        allowedRoots: ["/data", "/mnt/store"],
      }),
    ).toThrow(/not under a folder this plugin allows/);
    expect(() =>
      createLocalDriver(localConfigSchema.parse({ drives: ["/mnt/store/a"] }), {
        allowedRoots: ["/data", "/mnt/store"],
      }),
    ).not.toThrow();
  });
});
