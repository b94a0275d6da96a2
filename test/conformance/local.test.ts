/** The conformance suite against the local backend on a temp drive. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { PermissionDeniedError } from "../../src/errors.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite("local", async () => {
  const drive = await mkdtemp(path.join(os.tmpdir(), "local-drive-"));
  return {
    driver: createLocalDriver(localConfigSchema.parse({ drives: [drive] })),
    configuration: `local: {drives: [${JSON.stringify(drive)}]}`,
    teardown: () => rm(drive, { recursive: true, force: true }),
  };
});

describe("local drive allow-list (MULTISTORE_LOCAL_DRIVES)", () => {
  it("refuses a drive outside the allowed roots", () => {
    expect(() => createLocalDriver(localConfigSchema.parse({ drives: ["/etc/kubernetes"] }), { allowedRoots: ["/data", "/mnt/store"] })).toThrow(PermissionDeniedError);
    expect(() => createLocalDriver(localConfigSchema.parse({ drives: ["/mnt/store-evil"] }), { allowedRoots: ["/data", "/mnt/store"] })).toThrow(/not under a folder this plugin allows/);
    expect(() => createLocalDriver(localConfigSchema.parse({ drives: ["/mnt/store/a"] }), { allowedRoots: ["/data", "/mnt/store"] })).not.toThrow();
  });
});
