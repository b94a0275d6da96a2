/**
 * A real MinIO server for tests and the benchmark: built from source at a
 * pinned commit (test/peers/go-binary.ts), started on 127.0.0.1 with a temp
 * data folder and generated credentials, stopped and removed after. A
 * static KMS key is configured so SSE-S3 and SSE-KMS work; with `tls` it
 * serves HTTPS with the given certificate, which SSE-C requires.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { ensureGoPeer, type GoPeer } from "./go-binary.ts";

export const MINIO: GoPeer = { name: "minio", module: "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c" };
/** The name of the one key of MinIO's static KMS: the `kmsKeyId` that works against it. */
export const MINIO_KMS_KEY = "multistore-test-key";

export interface MinioServer {
  /** `127.0.0.1:<port>`, as Argo configurations write endpoints. */
  endpoint: string;
  /** `http://127.0.0.1:<port>` or `https://...`. */
  url: string;
  accessKey: string;
  secretKey: string;
  /** The data folder: one folder per bucket, for tests that look behind the API. */
  dataDir: string;
  stop(): Promise<void>;
}

export interface MinioOptions {
  /** PEM certificate and key to serve HTTPS with, and the CA that signed them. */
  tls?: { cert: string; key: string; ca: string };
}

export async function startMinio(options: MinioOptions = {}): Promise<MinioServer> {
  const binary = await ensureGoPeer(MINIO);
  const root = await mkdtemp(path.join(os.tmpdir(), "minio-"));
  const dataDir = path.join(root, "data");
  const certsDir = path.join(root, "certs");
  await mkdir(dataDir);
  await mkdir(certsDir);
  if (options.tls) {
    await writeFile(path.join(certsDir, "public.crt"), options.tls.cert);
    await writeFile(path.join(certsDir, "private.key"), options.tls.key);
  }
  const accessKey = `test-${randomBytes(6).toString("hex")}`;
  const secretKey = randomBytes(24).toString("base64url");
  const scheme = options.tls ? "https" : "http";

  for (let attempt = 1; ; attempt++) {
    const [port, consolePort] = [await freePort(), await freePort()];
    const child = spawn(
      binary,
      ["server", dataDir, "--address", `127.0.0.1:${port}`, "--console-address", `127.0.0.1:${consolePort}`, "--certs-dir", certsDir, "--quiet"],
      {
        env: {
          PATH: process.env.PATH,
          HOME: root,
          MINIO_ROOT_USER: accessKey,
          MINIO_ROOT_PASSWORD: secretKey,
          MINIO_KMS_SECRET_KEY: `${MINIO_KMS_KEY}:${randomBytes(32).toString("base64")}`,
          MINIO_BROWSER: "off",
          MINIO_UPDATE: "off",
          MINIO_CALLHOME_ENABLE: "off",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    const keep = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4000));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const url = `${scheme}://127.0.0.1:${port}`;
    try {
      await waitReady(child, url, options.tls?.ca);
    } catch (error) {
      await stopChild(child);
      if (attempt < 3 && /address already in use/i.test(output)) continue; // lost the port race
      await rm(root, { recursive: true, force: true });
      throw new Error(`MinIO did not start: ${(error as Error).message}\n${output}`);
    }
    return {
      endpoint: `127.0.0.1:${port}`,
      url,
      accessKey,
      secretKey,
      dataDir,
      async stop() {
        await stopChild(child);
        await rm(root, { recursive: true, force: true });
      },
    };
  }
}

/** Polls MinIO's readiness probe until it answers 200. */
async function waitReady(child: ChildProcess, url: string, ca?: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if ((await statusOf(`${url}/minio/health/ready`, ca)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("not ready within 60 s");
}

/** The HTTP status of a GET, or 0 when nothing answers. */
function statusOf(url: string, ca?: string): Promise<number> {
  return new Promise((resolve) => {
    const get = url.startsWith("https:") ? https.get : http.get;
    const request = get(url, { ca, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(0));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** A port free on 127.0.0.1 right now (another process may still take it: callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
