/**
 * A real MinIO server for tests and the benchmark: built from source at a
 * pinned commit (test/peers/go-binary.ts), started on 127.0.0.1 with a temp
 * data folder and generated credentials, stopped and removed after. A
 * static KMS key is configured so SSE-S3 and SSE-KMS work; with `tls` it
 * serves HTTPS with the given certificate, which SSE-C requires.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureGoPeer, type GoPeer } from "./go-binary.ts";
import { freePort, stopChild, tailOutput, waitForHttp } from "./process.ts";

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
      [
        "server",
        dataDir,
        "--address",
        `127.0.0.1:${port}`,
        "--console-address",
        `127.0.0.1:${consolePort}`,
        "--certs-dir",
        certsDir,
        "--quiet",
      ],
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
    const output = tailOutput(child);
    const url = `${scheme}://127.0.0.1:${port}`;
    try {
      await waitForHttp(child, `${url}/minio/health/ready`, { ca: options.tls?.ca });
    } catch (error) {
      await stopChild(child);
      if (attempt < 3 && /address already in use/i.test(output())) continue; // lost the port race
      await rm(root, { recursive: true, force: true });
      throw new Error(`MinIO did not start: ${(error as Error).message}\n${output()}`);
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
