/**
 * Child process for tests that need another user: opens the local store of
 * `<config json>`, reads `<key>` whole, and prints one JSON line with the
 * outcome (the gRPC status name and message on failure).
 * Usage: driver-call.ts <config json> <key>
 */
import { localConfigSchema } from "../../drivers/local/config.ts";
import { createLocalDriver } from "../../drivers/local/index.ts";
import { statusName, toRpcError } from "../../src/errors.ts";

const [configJson = "{}", key = "k"] = process.argv.slice(2);
const driver = createLocalDriver(localConfigSchema.parse(JSON.parse(configJson)));
try {
  let size = 0;
  for await (const chunk of await driver.get(key)) size += (chunk as Buffer).length;
  process.stdout.write(`${JSON.stringify({ ok: true, size })}\n`);
} catch (error) {
  const { code, message } = toRpcError(error);
  process.stdout.write(`${JSON.stringify({ ok: false, status: statusName(code), message })}\n`);
}
await driver.dispose();
