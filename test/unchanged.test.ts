/**
 * Skipping unchanged outputs through the server: on by default, said in the
 * Save's log line, turned off by `skipUnchanged: false` in the
 * configuration of any backend (checked like every other field). The skip
 * itself is checked on every backend by the conformance suite
 * (test/conformance/unchanged.ts).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Driver } from "../src/driver.ts";
import { InvalidConfigError, PermissionDeniedError } from "../src/errors.ts";
import { PathPolicy } from "../src/local-paths.ts";
import { createLogger, silentLogger } from "../src/log.ts";
import { driverDepsFromEnv, parseConfiguration } from "../src/registry.ts";
import { saveFromPath } from "../src/transfer.ts";
import { bytes, collect, sha256, writeTree } from "./helpers/data.ts";
import { startTestServer, type TestServer } from "./helpers/server.ts";

let t: TestServer;
const logs: string[] = [];

beforeAll(async () => {
  t = await startTestServer({ log: createLogger({ write: (line) => logs.push(line) }) });
});
afterAll(async () => {
  await t.stop();
});

/** The fields of the last `Save ok` line. */
function lastSave(): Record<string, unknown> {
  const line = logs.filter((l) => l.includes("Save ok")).at(-1);
  if (!line) throw new Error("no Save was logged");
  return JSON.parse(line) as Record<string, unknown>;
}

describe("skipping unchanged outputs", () => {
  it("is on by default, and the Save's log line counts what was not sent", async () => {
    const source = path.join(t.root, "model.bin");
    await writeFile(source, bytes(3 * 1024 * 1024));
    await t.client().save(source, "runs/unchanged/model.bin");
    expect(lastSave()).toMatchObject({ objects: 1, unchanged: 0 });
    await t.client().save(source, "runs/unchanged/model.bin");
    expect(lastSave()).toMatchObject({ objects: 1, bytes: 3 * 1024 * 1024, unchanged: 1 });
  });

  it("sends the file when the stored object cannot be looked up, and says so once", async () => {
    const real = parseConfiguration(t.configuration).create(driverDepsFromEnv());
    const refusing: Driver = Object.assign(Object.create(real) as Driver, {
      stat: async () => {
        throw new PermissionDeniedError("HeadObject refused");
      },
      async *list() {
        yield* [];
        throw new PermissionDeniedError("ListObjects refused");
      },
    });
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => warnings.push(msg) };
    const source = path.join(t.root, "refused.bin");
    await writeFile(source, bytes(2000));
    const paths = new PathPolicy([t.root]);
    expect(await saveFromPath(refusing, "runs/refused/a.bin", source, paths, { log })).toMatchObject({ unchanged: 0 });
    expect(sha256(await collect(await real.get("runs/refused/a.bin")))).toBe(sha256(await readFile(source)));
    const folder = path.join(t.root, "refused-tree");
    await writeTree(folder, { "x.bin": bytes(10), "y.bin": bytes(20) });
    expect(await saveFromPath(refusing, "runs/refused/tree", folder, paths, { log })).toMatchObject({ objects: 2 });
    expect(warnings).toEqual([
      "cannot tell whether the stored object is unchanged; sending the file",
      "cannot list the stored directory; looking its files up one by one",
      "cannot tell whether the stored object is unchanged; sending the file",
    ]);
    await real.dispose();
  });

  it("is off with skipUnchanged: false", async () => {
    const source = path.join(t.root, "again.bin");
    await writeFile(source, bytes(1000));
    const off = `${t.configuration}  skipUnchanged: false\n`;
    await t.client(off).save(source, "runs/off/again.bin");
    await t.client(off).save(source, "runs/off/again.bin");
    expect(lastSave()).toMatchObject({ objects: 1, unchanged: 0 });
  });

  it.each(["s3: {endpoint: e, bucket: b, skipUnchanged: nope}", "local: {drives: [/d], skipUnchanged: 1}"])(
    "refuses a skipUnchanged that is not true or false, naming it: %s",
    (configuration) => {
      const backend = configuration.split(":")[0];
      expect(() => parseConfiguration(configuration)).toThrow(InvalidConfigError);
      expect(() => parseConfiguration(configuration)).toThrow(`${backend}.skipUnchanged: expected true or false`);
    },
  );

  it("takes skipUnchanged on every backend, and leaves the rest to the backend's schema", () => {
    expect(parseConfiguration("gcs: {bucket: b, skipUnchanged: false}").skipUnchanged).toBe(false);
    expect(
      parseConfiguration("azure: {container: c, useSDKCreds: true, endpoint: 'https://a.blob.core.windows.net'}")
        .skipUnchanged,
    ).toBe(true);
    expect(() => parseConfiguration("gcs: {bucket: b, skipUnchanged: false, bucketz: x}")).toThrow(/bucketz/);
  });
});
