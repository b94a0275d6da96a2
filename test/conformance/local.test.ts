/** The conformance suite against the local backend on a temp drive. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite("local", async () => {
  const drive = await mkdtemp(path.join(os.tmpdir(), "local-drive-"));
  return {
    driver: createLocalDriver({ drives: [drive] }),
    configuration: `local: {drives: [${JSON.stringify(drive)}]}`,
    teardown: () => rm(drive, { recursive: true, force: true }),
  };
});
