/**
 * The registry loads a cloud backend's module, and its SDK, only when a call
 * needs that backend: start-up and configuration checks cost neither time
 * nor memory for SDKs nobody uses. Checked in a fresh process, with a module
 * hook recording every file Node loads.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { Driver, DriverDeps } from "../src/driver.ts";
import { backend, DriverRegistry, driverDepsFromEnv, lazyBackend } from "../src/registry.ts";

/** Runs `body` in a fresh Node (ESM, top-level await) and returns what it prints as JSON. */
function inFreshNode(body: string): Promise<unknown> {
  const script = `
    import { registerHooks } from "node:module";
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    const sdks = () => [...new Set(loaded.map((u) => /node_modules\\/(@aws-sdk|@azure|@google-cloud)\\//.exec(u)?.[1]).filter(Boolean))].sort();
    ${body}
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", script],
      { cwd: process.cwd() },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe("the driver registry", () => {
  it("loads no cloud SDK to start, to check configurations, or to lend a driver", async () => {
    const result = await inFreshNode(`
      const { DriverRegistry, parseConfiguration } = await import("./src/registry.ts");
      await import("./src/server.ts");
      parseConfiguration("s3: {endpoint: 127.0.0.1:1, bucket: b}");
      parseConfiguration("azure: {endpoint: 'https://a.blob.core.windows.net', container: c, useSDKCreds: true}");
      const lease = new DriverRegistry().acquire("gcs: {bucket: b, endpoint: 'http://127.0.0.1:1'}");
      lease.release();
      console.log(JSON.stringify(sdks()));
    `);
    expect(result).toEqual([]);
  });

  it("loads a backend's SDK on its first call, and only that one", async () => {
    const result = await inFreshNode(`
      const { DriverRegistry } = await import("./src/registry.ts");
      const registry = new DriverRegistry();
      const lease = registry.acquire("s3: {endpoint: 127.0.0.1:1, bucket: b, insecure: true, maxRetries: 0}");
      const outcome = await lease.driver.stat("k").then(() => "found", (e) => e.constructor.name);
      lease.release();
      await registry.dispose();
      console.log(JSON.stringify({ sdks: sdks(), outcome }));
    `);
    expect(result).toMatchObject({ sdks: ["@aws-sdk"] });
    expect((result as { outcome: string }).outcome).toMatch(/Error$/); // nothing listens on port 1
  });

  it("tries a backend that failed to load or construct again on the next call, rather than keeping it broken", async () => {
    let attempts = 0;
    const stub = { stat: async (key: string) => ({ key, size: 1 }), dispose: async () => {} } as unknown as Driver;
    const flaky = lazyBackend(z.strictObject({}), async () => {
      attempts++;
      if (attempts === 1) throw new Error("the CA file is not mounted yet");
      return () => stub;
    });
    const registry = new DriverRegistry({ backends: { flaky } });
    const lease = registry.acquire("flaky: {}");
    await expect(lease.driver.stat("k")).rejects.toThrow("not mounted yet");
    await expect(lease.driver.stat("k")).resolves.toEqual({ key: "k", size: 1 });
    expect(attempts).toBe(2);
    lease.release();
    await registry.dispose();
  });

  it("gives every driver the dependencies built once from the environment, and drivers read no environment of their own", async () => {
    const deps = driverDepsFromEnv({ MULTISTORE_LOCAL_DRIVES: "/data:/mnt/store", MULTISTORE_SECRETS_DIR: "/nowhere" });
    expect(deps.localDriveRoots).toEqual(["/data", "/mnt/store"]);
    const seen: DriverDeps[] = [];
    const stub = { dispose: async () => {} } as unknown as Driver;
    const recording = backend(z.strictObject({ n: z.number() }), (_config, given) => {
      seen.push(given);
      return stub;
    });
    const registry = new DriverRegistry({ backends: { recording }, deps });
    registry.acquire("recording: {n: 1}").release();
    registry.acquire("recording: {n: 2}").release();
    expect(seen).toHaveLength(2);
    expect(seen.every((given) => given === deps)).toBe(true);
    await registry.dispose();

    // The local store's allow-list comes from the registry's deps, not from process.env.
    const confined = new DriverRegistry({ deps });
    expect(() => confined.acquire("local: {drives: [/etc/multistore-test]}")).toThrow(
      /not under a folder this plugin allows/,
    );
    confined.acquire("local: {drives: [/mnt/store/d1]}").release();
    await confined.dispose();
  });
});
