/**
 * Skipping unchanged outputs through the server: on by default, said in the
 * Save's log line, turned off by `skipUnchanged: false` in the
 * configuration of any backend (checked like every other field). The skip
 * itself is checked on every backend by the conformance suite
 * (test/conformance/unchanged.ts).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigError } from "../src/errors.ts";
import { createLogger } from "../src/log.ts";
import { parseConfiguration } from "../src/registry.ts";
import { bytes } from "./helpers/data.ts";
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
