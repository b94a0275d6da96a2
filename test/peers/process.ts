/** Starting and stopping the test peers' server processes. */
import type { ChildProcess } from "node:child_process";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";

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

/** Polls `url` until it answers 200, failing early if `child` exits. */
export async function waitForHttp(
  child: ChildProcess,
  url: string,
  options: { ca?: string; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if ((await statusOf(url, options.ca)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${timeoutMs / 1000} s`);
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

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
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

/** Keeps the last 4,000 characters a child printed, for error messages. */
export function tailOutput(child: ChildProcess): () => string {
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return () => output;
}
