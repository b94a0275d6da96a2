/**
 * Argo's own Go code against our server (test/interop): Argo's plugin client
 * (v4.0.5, whose plugin code is v4.0.10's) for every RPC it makes, a client
 * doing what v4.1's plugin.go does for GetCapabilities and SaveStream, and
 * Argo's built-in S3 driver reading what the plugin wrote on MinIO and the
 * other way round. Each Go case checks content, not only the absence of an
 * error; see the case functions in test/interop/*.go.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killPlugins, startPlugin } from "./helpers/plugin-process.ts";
import { interopCases, runInterop } from "./peers/interop.ts";
import { type S3Fixture, startS3Fixture } from "./s3/fixture.ts";

const cases = await interopCases();
let root: string;
let s3: S3Fixture;
let env: Record<string, string>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "interop-"));
  s3 = await startS3Fixture();
  const drives = [0, 1, 2].map((i) => path.join(root, `drive${i}`));
  for (const drive of drives) await mkdir(drive);
  const work = path.join(root, "work");
  await mkdir(work);
  const socket = path.join(root, "plugin", "socket");
  const { child } = await startPlugin(socket, { MULTISTORE_SECRETS_DIR: s3.secretsDir });
  env = {
    PLUGIN_SOCKET: socket,
    SERVER_PID: String(child.pid),
    WORK_DIR: work,
    LOCAL_CONFIG: `local: {drives: ${JSON.stringify(drives)}, dataShards: 2, parityShards: 1}`,
    S3_CONFIG: s3.yaml(),
    S3_ENDPOINT: s3.minio.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY: s3.minio.accessKey,
    S3_SECRET_KEY: s3.minio.secretKey,
  };
});
afterAll(async () => {
  killPlugins();
  await s3?.teardown();
  if (root) await rm(root, { recursive: true, force: true });
});

describe("Argo's own client and S3 driver", () => {
  it("runs every case, and only those this file names", () => {
    // A case dropped from the Go program must not vanish from the suite unnoticed.
    expect(cases).toEqual([
      "argo-s3-then-plugin",
      "bad-configuration",
      "concurrent-connections",
      "connect",
      "delete",
      "list-objects-over-limit",
      "open-stream-directory",
      "open-stream-sizes",
      "plugin-then-argo-s3",
      "save-load-directory",
      "save-load-file",
      "save-stream",
      "save-stream-refused",
      "secret-never-echoed",
    ]);
  });

  for (const name of cases.filter((c) => c !== "connect")) {
    it(name, { timeout: 180_000 }, async () => {
      const result = await runInterop(name, env);
      expect(result.ok, result.output).toBe(true);
    });
  }

  it("connects, started as the image starts it (socket folder not there yet), within Argo's default 5 s, and stops on SIGTERM with 0", {
    timeout: 60_000,
  }, async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "interop-start-"));
    const socket = path.join(folder, "artifact-plugins", "multistore", "socket");
    const started = performance.now();
    const plugin = spawn(process.execPath, [path.resolve("src/main.ts"), socket], { stdio: "ignore" });
    try {
      const result = await runInterop("connect", { ...env, PLUGIN_SOCKET: socket });
      expect(result.ok, result.output).toBe(true);
      expect(performance.now() - started).toBeLessThan(5000);
      plugin.kill("SIGTERM");
      const [code] = await once(plugin, "exit");
      expect(code).toBe(0);
    } finally {
      plugin.kill("SIGKILL");
      await rm(folder, { recursive: true, force: true });
    }
  });
});
