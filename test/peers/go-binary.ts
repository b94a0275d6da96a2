/**
 * Test peers written in Go (MinIO, fake-gcs-server, and test/interop, our
 * harness around Argo's own Go code) are built from source
 * with the machine's Go toolchain on first use, at a pinned version, into
 * `.cache/peers/<name>-<version>/`, so later runs start them in seconds.
 * There is no Docker engine on these machines, and a downloaded release
 * binary would not be pinned by anything we can check.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface GoPeer {
  /** Binary name, as `go install` names it. */
  name: string;
  /** Module path and exact version: `github.com/minio/minio@v0.0.0-...`. */
  module: string;
}

/** Where the peer's binary lives once built. */
export function peerBinary(peer: GoPeer): string {
  const version = peer.module.slice(peer.module.lastIndexOf("@") + 1);
  return path.join(projectRoot, ".cache", "peers", `${peer.name}-${version}`, peer.name);
}

/** Builds the peer unless it is built already; resolves with its binary's path. */
export async function ensureGoPeer(peer: GoPeer): Promise<string> {
  return buildOnce(peerBinary(peer), peer.module, ["install", peer.module], projectRoot, "-buildvcs=false");
}

/**
 * Builds a Go program of ours (a folder with its own go.mod and go.sum, its
 * dependencies pinned there) unless the same sources are built already: the
 * cache is keyed by a hash of every file of the folder.
 */
export async function ensureGoProgram(name: string, folder: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of (await readdir(folder)).sort()) hash.update(file).update(await readFile(path.join(folder, file)));
  const binary = path.join(projectRoot, ".cache", "peers", `${name}-${hash.digest("hex").slice(0, 16)}`, name);
  // -mod=readonly: go.sum pins every module; a build never edits it.
  return buildOnce(
    binary,
    name,
    ["build", "-o", path.join("STAGING", name), "."],
    folder,
    "-buildvcs=false -mod=readonly",
  );
}

async function buildOnce(
  binary: string,
  what: string,
  goArgs: string[],
  cwd: string,
  goFlags: string,
): Promise<string> {
  if (existsSync(binary)) return binary;
  const staging = `${path.dirname(binary)}.building-${process.pid}`;
  await mkdir(staging, { recursive: true });
  process.stderr.write(`building test peer ${what} with Go (first run only: 1 to 5 minutes)\n`);
  try {
    const args = goArgs.map((arg) => arg.replace("STAGING", staging));
    await run("go", args, cwd, { ...process.env, GOBIN: staging, GOFLAGS: goFlags, CGO_ENABLED: "0" });
    // Whole folder at once: a half-built binary is never found. Another run may have finished first.
    await rename(staging, path.dirname(binary)).catch((error: unknown) => {
      if (!existsSync(binary)) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binary;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.on("error", (error) => reject(new Error(`cannot run ${command}: ${error.message} (is Go installed?)`)));
    child.on("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed with exit code ${code}:\n${stderr}`));
    });
  });
}
