/**
 * `multistore verify` and `multistore cp` on every backend, through the
 * server's Admin service as the CLI calls it: objects read whole and checked
 * against their digests; artifacts copied to and from the local store,
 * verified on arrival, and skipped when a copy is run again.
 */
import { describe, expect, it } from "vitest";
import type { CopyEvent__Output } from "../../src/generated/multistore/v1/CopyEvent.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, sha256, streamOf, uniquePrefix } from "../helpers/data.ts";
import type { SuiteState } from "./capabilities.ts";

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The per-object events of a copy, as `state key` sorted. */
const outcomes = (events: CopyEvent__Output[]) =>
  events
    .filter((e) => !["planned", "progress"].includes(e.state))
    .map((e) => `${e.state} ${e.key}`)
    .sort();

/** `digests`: the backend declares them, and its fixture can write behind the plugin (capabilities.ts). */
export function copyCases(current: () => SuiteState, digests: boolean): void {
  describe("verify and copy", () => {
    it("verifies what it stored, and names what does not match or has no digest", async () => {
      const { driver, server, configuration, behind } = current();
      const k = uniquePrefix();
      await driver.put(`${k}/good.bin`, streamOf(bytes(2 * MiB + 5)));
      if (behind) {
        await behind.write(`${k}/rewritten.bin`, bytes(1000), sha256(bytes(1000)));
        await behind.write(`${k}/by-argo.bin`, bytes(1000));
      }
      const results = await all(server.client(configuration).verify(`${k}/`, true));
      const states = Object.fromEntries(results.map((r) => [r.key.slice(k.length + 1), r.state]));
      expect(states).toEqual({
        "good.bin": "verified",
        ...(behind ? { "rewritten.bin": "damaged", "by-argo.bin": "unverified" } : {}),
      });
      const one = await all(server.client(configuration).verify(`${k}/good.bin`));
      expect(one.map((r) => [r.state, Number(r.size)])).toEqual([["verified", 2 * MiB + 5]]);
    });

    it("copies a directory artifact to the local store and back, verified, and skips it the second time", async () => {
      const { driver, server, configuration } = current();
      const k = `${uniquePrefix()}/tree`;
      const files = { "a.bin": bytes(3 * MiB + 1), "sub/b.bin": bytes(10), "sub/empty": Buffer.alloc(0) };
      for (const [name, data] of Object.entries(files)) await driver.put(`${k}/${name}`, streamOf(data));
      const keys = Object.keys(files).map((name) => `${k}/${name}`);

      const out = server.client(configuration);
      const first = await all(out.copy(k, server.configuration));
      expect(first[0]).toMatchObject({ state: "planned", total_objects: "3", total_bytes: String(3 * MiB + 11) });
      expect(outcomes(first)).toEqual(keys.map((key) => `copied ${key}`).sort());
      for (const event of first.filter((e) => e.state === "copied")) expect(event.detail).toBe(""); // verified
      expect(outcomes(await all(out.copy(k, server.configuration)))).toEqual(
        keys.map((key) => `skipped ${key}`).sort(),
      );

      // Gone here, and back from the local copy (--all: everything under the prefix).
      const local = server.client(server.configuration);
      for (const key of keys) await driver.delete(key);
      expect(outcomes(await all(local.copy(`${k}/`, configuration, true)))).toEqual(
        keys.map((key) => `copied ${key}`).sort(),
      );
      for (const [name, data] of Object.entries(files))
        expect(sha256(await collect(await driver.get(`${k}/${name}`)))).toBe(sha256(data));
    });

    it("resumes a copy that was cancelled part way: what arrived is skipped, the rest is copied", async () => {
      const { driver, server, configuration } = current();
      const k = `${uniquePrefix()}/many`;
      const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`${k}/f${i}.bin`, bytes(50_000 + i)]));
      for (const [key, data] of Object.entries(files)) await driver.put(key, streamOf(data));
      const client = server.client(configuration);
      for await (const event of client.copy(k, server.configuration)) if (event.state === "copied") break; // the user's Ctrl-C
      const resumed = outcomes(await all(client.copy(k, server.configuration)));
      expect(resumed).toHaveLength(12);
      expect(resumed.filter((o) => o.startsWith("skipped")).length).toBeGreaterThanOrEqual(1);
      expect(resumed.every((o) => o.startsWith("skipped") || o.startsWith("copied"))).toBe(true);
      const local = server.client(server.configuration);
      for (const [key, data] of Object.entries(files))
        expect(sha256(await collect(local.openStream(key)))).toBe(sha256(data));
    });

    // The local store's damage is its own test (test/local, and a flipped shard in test/cli.test.ts).
    if (digests)
      it("does not copy an object that fails its digest: reported failed, nothing at the destination", async () => {
        const { driver, server, configuration } = current();
        const behind = current().behind;
        if (!behind) throw new Error("the backend declares digests but its fixture cannot look behind the plugin");
        const k = `${uniquePrefix()}/damaged`;
        const good = bytes(2 * MiB);
        await driver.put(`${k}/good.bin`, streamOf(good));
        await driver.put(`${k}/bad.bin`, streamOf(bytes(2 * MiB)));
        await behind.write(`${k}/bad.bin`, bytes(2 * MiB), sha256(bytes(10))); // other bytes under a recorded digest
        const events = await all(server.client(configuration).copy(k, server.configuration));
        expect(outcomes(events)).toEqual([`copied ${k}/good.bin`, `failed ${k}/bad.bin`]);
        const local = server.client(server.configuration);
        expect(await local.stat(`${k}/bad.bin`)).toMatchObject({ kind: "missing" });
        expect(sha256(await collect(local.openStream(`${k}/good.bin`)))).toBe(sha256(good));
      });

    it("copies again only what changed since, and fails clearly for a key that is not there", async () => {
      const { driver, server, configuration } = current();
      const k = `${uniquePrefix()}/model.bin`;
      await driver.put(k, streamOf(bytes(5000)));
      const client = server.client(configuration);
      expect(outcomes(await all(client.copy(k, server.configuration)))).toEqual([`copied ${k}`]);
      const changed = bytes(5000);
      await driver.put(k, streamOf(changed));
      expect(outcomes(await all(client.copy(k, server.configuration)))).toEqual([`copied ${k}`]);
      const local = server.client(server.configuration);
      expect(sha256(await collect(local.openStream(k)))).toBe(sha256(changed));
      await expect(all(client.copy(`${uniquePrefix()}/missing`, server.configuration))).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    });
  });
}
