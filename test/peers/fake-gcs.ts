/**
 * fake-gcs-server (fsouza), the usual GCS emulator, built from source at a
 * pinned version (test/peers/go-binary.ts) and started on 127.0.0.1 over
 * plain HTTP with its memory backend: the filesystem backend cannot hold an
 * object `a` beside objects under `a/` (GCS can), and rewrites a resumable
 * upload's file at every chunk (12 MB/s at 1 GiB here). `-external-url` makes the
 * resumable-upload session URLs it hands out point back at 127.0.0.1:<port>
 * (without it they name 0.0.0.0 or the wrong port).
 */
import { spawn } from "node:child_process";
import { ensureGoPeer, type GoPeer } from "./go-binary.ts";
import { freePort, stopChild, tailOutput, waitForHttp } from "./process.ts";

export const FAKE_GCS: GoPeer = { name: "fake-gcs-server", module: "github.com/fsouza/fake-gcs-server@v1.56.1" };

export interface FakeGcsServer {
  /** `http://127.0.0.1:<port>`: the JSON API's base, as `gcs.endpoint` takes it. */
  url: string;
  stop(): Promise<void>;
}

export async function startFakeGcs(): Promise<FakeGcsServer> {
  const binary = await ensureGoPeer(FAKE_GCS);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      binary,
      [
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        String(port),
        "-external-url",
        url,
        "-backend",
        "memory",
        "-log-level",
        "error",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const output = tailOutput(child);
    try {
      await waitForHttp(child, `${url}/storage/v1/b`, { timeoutMs: 30_000 });
    } catch (error) {
      await stopChild(child);
      if (attempt < 3 && /address already in use/i.test(output())) continue;
      throw new Error(`fake-gcs-server did not start: ${(error as Error).message}\n${output()}`);
    }
    return { url, stop: () => stopChild(child) };
  }
}
