/**
 * Child process for the crash test: writes one version of an object into an
 * erasure-coded store, announcing when it starts, so the parent can SIGKILL it
 * at a random point. Usage: crash-writer.ts <config json> <key> <seed> <MiB>
 */
import { Readable } from "node:stream";
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { versionContent } from "./version-content.ts";

const [configJson = "{}", key = "k", seed = "0", mib = "1"] = process.argv.slice(2);
const driver = createLocalDriver(localConfigSchema.parse(JSON.parse(configJson)));
process.stdout.write("writing\n");
await driver.put(key, Readable.from(versionContent(Number(seed), Number(mib))));
process.stdout.write("done\n");
