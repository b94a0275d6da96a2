/**
 * The conformance groups that depend on what a backend has: its part size,
 * a fault-injecting proxy in front of its server, a memory bound. Written
 * once here, run on every backend that declares the capability; a backend
 * without one does not register the group (a case that does not apply, not
 * a skip). What only one backend does stays in that backend's own tests.
 */
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Driver } from "../../src/driver.ts";
import { DataLossError, UnavailableError } from "../../src/errors.ts";
import { FRAME_BYTES } from "../../src/frames.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, readUntilFailure, sha256, streamOf, uniquePrefix } from "../helpers/data.ts";
import type { Fault, FaultProxy } from "../helpers/fault-proxy.ts";
import { generatedBody, peakRssGrowthMiB } from "../helpers/memory.ts";
import type { TestServer } from "../helpers/server.ts";

/** How a backend's traffic looks to a fault-injecting proxy in front of its server (BackendFixture.proxied). */
export interface FaultPlan {
  /** The backend has a `maxRetries` option, so giving up is tested too. */
  hasMaxRetries: boolean;
  /** The method of a small object's upload request. */
  uploadMethod: string;
  /** Whether a request downloads the object whose key ends in `name` (not its metadata). */
  isDownload(method: string, url: string, name: string): boolean;
  /** Two answers the backend must retry: its throttling and a server error, worded as its service words them. */
  retryable: readonly [Fault, Fault];
  /** A body damaged on the way is caught (DATA_LOSS) before it is delivered whole. */
  verifiesContent: boolean;
}

/** The store's objects as seen behind the plugin, for the digest group (BackendFixture.behind). */
export interface StoreBehind {
  /** The SHA-256 the object's metadata records, if any. */
  recorded(key: string): Promise<string | undefined>;
  /** Writes `data` as `key` with the store's own client, recording `sha256` as a Save would, or none. */
  write(key: string, data: Buffer, sha256?: string): Promise<void>;
}

/** What a backend declares to the shared groups; every field is optional. */
export interface Capabilities {
  /** Bytes per upload part (block, chunk): objects are round-tripped at it and a byte either side. */
  partBytes?: number;
  faults?: FaultPlan;
  /** Every Save records the content's SHA-256, and reads check it. */
  digests?: boolean;
  /** A streamed upload of `bytes` of unknown length grows the process's RSS by less than `maxGrowthMiB`. */
  memory?: { bytes: number; maxGrowthMiB: number };
}

/** The same store behind a proxy that can fail, reset, cut or corrupt chosen requests. */
export interface ProxiedStore {
  proxy: FaultProxy;
  /** A driver of the store whose requests go through the proxy, giving up after `maxRetries` retries where it has the option. */
  driver(maxRetries?: number): Driver;
}

/** A ProxiedStore whose drivers `make` builds; `close` disposes them and closes the proxy. */
export function proxiedStore(
  proxy: FaultProxy,
  make: (maxRetries?: number) => Driver,
): ProxiedStore & { close(): Promise<void> } {
  const made: Driver[] = [];
  return {
    proxy,
    driver(maxRetries) {
      const driver = make(maxRetries);
      made.push(driver);
      return driver;
    },
    async close() {
      await Promise.all(made.map((d) => d.dispose()));
      await proxy.close();
    },
  };
}

/** What the groups use of the suite, once it is set up. */
export interface SuiteState {
  driver: Driver;
  server: TestServer;
  configuration: string;
  proxied?: ProxiedStore;
  behind?: StoreBehind;
}

/** Registers the groups `capabilities` allows; `current` gives the suite's state once it is set up. */
export function capabilityCases(capabilities: Capabilities, current: () => SuiteState): void {
  const { partBytes, faults, memory, digests } = capabilities;
  /** The proxied store: a backend that declares `faults` must set it up. */
  const proxied = (): ProxiedStore => {
    const store = current().proxied;
    if (!store) throw new Error("the backend declares faults but its fixture has no proxied store");
    return store;
  };
  const key = (name: string) => `${uniquePrefix()}/${name}`;

  describe("boundary sizes", () => {
    // Each part boundary, and a frame boundary through the server: an off-by-one at either loses or repeats bytes.
    const partSizes = partBytes ? [partBytes - 1, partBytes, partBytes + 1, 2 * partBytes + 1] : [];
    it.each(partSizes)("round-trips %d bytes (around the part size) byte for byte", async (size) => {
      const { driver } = current();
      const k = key("part-boundary.bin");
      const data = bytes(size);
      await driver.put(k, streamOf(data, 1_000_003)); // chunks that never line up with a part
      expect(sha256(await collect(await driver.get(k)))).toBe(sha256(data));
      expect((await driver.stat(k)).size).toBe(size);
      await driver.delete(k);
    });

    it.each([FRAME_BYTES - 1, FRAME_BYTES, FRAME_BYTES + 1, 3 * FRAME_BYTES])(
      "streams %d bytes (around the frame size) in and out through the server",
      async (size) => {
        const { server, configuration } = current();
        const client = server.client(configuration);
        const data = bytes(size);
        const k = key("frame-boundary.bin");
        await client.saveStream(k, streamOf(data, 777_777));
        expect(sha256(await collect(client.openStream(k)))).toBe(sha256(data));
        await client.delete(k);
      },
    );
  });

  if (faults) {
    describe("through a fault-injecting proxy", () => {
      it("retries throttling and a server error on upload, then succeeds", async () => {
        const { proxy } = proxied();
        const k = key("throttled");
        const isUpload = (method: string) => method === faults.uploadMethod;
        const uploadsOf = async (body: string) => {
          const before = proxy.requests.length;
          await proxied()
            .driver()
            .put(k, streamOf(Buffer.from(body)));
          return proxy.requests.slice(before).filter((r) => isUpload(r.split(" ")[0] ?? "")).length;
        };
        const clean = await uploadsOf("unhurried"); // one request, or a block and its list
        for (const fault of faults.retryable) proxy.inject(fault, isUpload);
        expect(await uploadsOf("patience")).toBe(clean + 2); // each refused request sent once more
        expect((await collect(await current().driver.get(k))).toString()).toBe("patience");
      });

      if (faults.hasMaxRetries)
        it("gives up after maxRetries with UNAVAILABLE, storing nothing", async () => {
          const k = key("gave-up");
          for (const _ of [1, 2])
            proxied().proxy.inject(faults.retryable[1], (method) => method === faults.uploadMethod);
          await expect(
            proxied()
              .driver(1)
              .put(k, streamOf(Buffer.from("never"))),
          ).rejects.toBeInstanceOf(UnavailableError);
          await expect(current().driver.stat(k)).rejects.toThrow();
        });

      it("retries a connection reset on download", async () => {
        const k = key("reset.bin");
        await current().driver.put(k, streamOf(Buffer.from("still here")));
        proxied().proxy.inject({ kind: "reset" }, (method, url) => faults.isDownload(method, url, "reset.bin"));
        expect((await collect(await proxied().driver().get(k))).toString()).toBe("still here");
      });

      it("resumes a download whose connection drops mid-body, from the byte where it broke", async () => {
        const { proxy } = proxied();
        const k = key("resumed.bin");
        const data = bytes(6 * MiB);
        await current().driver.put(k, streamOf(data));
        const isDownload = (method: string, url: string) => faults.isDownload(method, url, "resumed.bin");
        proxy.inject({ kind: "cut", afterBytes: 2 * MiB + 5 }, isDownload);
        const before = proxy.requests.length;
        expect(sha256(await collect(await proxied().driver().get(k)))).toBe(sha256(data));
        const downloads = proxy.requests
          .slice(before)
          .filter((r) => isDownload(r.split(" ")[0] ?? "", r.slice(r.indexOf(" ") + 1)));
        expect(downloads).toHaveLength(2); // the one cut, and one resumed: not a restart from byte 0 and a third
      });

      if (faults.verifiesContent)
        it("fails a read whose bytes were damaged on the way with DATA_LOSS, before its last byte", async () => {
          const k = key("damaged.bin");
          const size = MiB;
          await current().driver.put(k, streamOf(bytes(size)));
          proxied().proxy.inject({ kind: "corrupt", atByte: 1000 }, (method, url) =>
            faults.isDownload(method, url, "damaged.bin"),
          );
          const { delivered, error } = await readUntilFailure(await proxied().driver().get(k));
          expect(error).toBeInstanceOf(DataLossError);
          expect(delivered).toBeLessThan(size); // a consumer that ignores the error still has no whole artifact
        });
    });
  }

  if (digests) {
    describe("content digest", () => {
      const behind = (): StoreBehind => {
        const store = current().behind;
        if (!store) throw new Error("the backend declares digests but its fixture cannot look behind the plugin");
        return store;
      };
      const sizes = [0, 1000, 3 * MiB, ...(partBytes ? [2 * partBytes + 3] : [])];

      it.each(sizes)("records the SHA-256 of a Save of %d bytes, which stat shows and reads check", async (size) => {
        const { driver } = current();
        const k = key("digested.bin");
        const data = bytes(size);
        await driver.put(k, streamOf(data, 1_000_003));
        expect(await behind().recorded(k)).toBe(sha256(data));
        expect((await driver.stat(k)).sha256).toBe(sha256(data)); // what `multistore stat` shows
        expect(sha256(await collect(await driver.get(k)))).toBe(sha256(data));
      });

      it("fails with DATA_LOSS, before the last byte, an object rewritten behind the plugin", async () => {
        const { driver } = current();
        const k = key("rewritten.bin");
        const data = bytes(3 * MiB);
        await driver.put(k, streamOf(data));
        // Other bytes under the digest the plugin recorded: a store's own MD5 would match them, only ours can tell.
        const other = bytes(3 * MiB);
        await behind().write(k, other, sha256(data));
        const { delivered, error } = await readUntilFailure(await driver.get(k));
        expect(error).toBeInstanceOf(DataLossError);
        expect(delivered).toBeLessThan(other.length);
        // Through the server too, as argo-server's download and `multistore cat` read it (OpenStream).
        const streamed = await readUntilFailure(current().server.client(current().configuration).openStream(k));
        expect(streamed.error).toMatchObject({ code: "DATA_LOSS" });
        expect(streamed.delivered).toBeLessThan(other.length);
      });

      it("fails a Load of an object rewritten behind the plugin with DATA_LOSS, leaving nothing at its path", async () => {
        const { driver, server, configuration } = current();
        const k = key("rewritten-load.bin");
        const data = bytes(20 * MiB + 3); // several parts or blocks: the check the Load takes over spans them
        await driver.put(k, streamOf(data));
        await behind().write(k, bytes(data.length), sha256(data));
        const dest = path.join(server.root, uniquePrefix("load"), "out.bin");
        await mkdir(path.dirname(dest));
        await expect(server.client(configuration).load(k, dest)).rejects.toMatchObject({ code: "DATA_LOSS" });
        await expect(stat(dest)).rejects.toMatchObject({ code: "ENOENT" });
        expect(await readdir(path.dirname(dest))).toEqual([]); // no staged leftovers either
        // And a good one Loads, checked the same way.
        await driver.put(k, streamOf(data));
        await server.client(configuration).load(k, dest);
        expect(sha256(await readFile(dest))).toBe(sha256(data));
      });

      it("reads an object written without a digest (by Argo's own driver)", async () => {
        const k = key("by-argo.bin");
        const data = bytes(2 * MiB + 1);
        await behind().write(k, data);
        expect(await behind().recorded(k)).toBeUndefined();
        expect((await current().driver.stat(k)).sha256).toBeUndefined();
        expect(sha256(await collect(await current().driver.get(k)))).toBe(sha256(data));
        // A Load too (on gcs, checked against the store's own MD5).
        const dest = path.join(current().server.root, uniquePrefix("by-argo.bin"));
        await current().server.client(current().configuration).load(k, dest);
        expect(sha256(await readFile(dest))).toBe(sha256(data));
      });
    });
  }

  if (memory) {
    it(`uploads ${memory.bytes / MiB} MiB of unknown length with RSS growing by less than ${memory.maxGrowthMiB} MiB`, {
      timeout: 300_000,
    }, async () => {
      const { driver } = current();
      const k = key("large.bin");
      global.gc?.();
      const growth = await peakRssGrowthMiB(() => driver.put(k, generatedBody(memory.bytes, 0x5a)));
      expect((await driver.stat(k)).size).toBe(memory.bytes);
      expect(growth).toBeLessThan(memory.maxGrowthMiB);
      await driver.delete(k);
    });
  }
}
