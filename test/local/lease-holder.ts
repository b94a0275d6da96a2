/**
 * Child process for the lease tests: takes the commit lease of `<key>` on the
 * store of `<config json>` and holds it, renewing it, until killed.
 * Usage: lease-holder.ts <config json> <key> <lease ttl ms>
 */
import { localConfigSchema } from "../../drivers/local/config.ts";
import { attachDrives } from "../../drivers/local/identity.ts";
import { DriveSet } from "../../drivers/local/layout.ts";
import { withLease } from "../../drivers/local/lease.ts";

const [configJson = "{}", key = "k", ttl = "1000"] = process.argv.slice(2);
const config = localConfigSchema.parse(JSON.parse(configJson));
const drives = new DriveSet(config.drives, { leaseTtlMs: Number(ttl), dataShards: config.dataShards });
await attachDrives(drives);
setInterval(() => {}, 1000); // keeps the process alive while it holds the lease
await withLease(drives, key, async () => {
  process.stdout.write("held\n");
  await new Promise(() => {});
});
