/**
 * test/interop: a Go program around Argo's own code (its plugin client and
 * its S3 driver, github.com/argoproj/argo-workflows/v4 at the version its
 * go.mod pins), built once into `.cache/peers/`, run one case per process.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureGoProgram } from "./go-binary.ts";

const folder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../interop");

export function ensureInterop(): Promise<string> {
  return ensureGoProgram("interop", folder);
}

export interface InteropResult {
  ok: boolean;
  /** What the case printed: its verdict, and Argo's warnings. */
  output: string;
}

/** Runs one case (see `interop list`) with `env` on top of this process's environment. */
export async function runInterop(name: string, env: Record<string, string>): Promise<InteropResult> {
  const binary = await ensureInterop();
  return new Promise((resolve) => {
    execFile(
      binary,
      [name],
      { env: { ...process.env, PROTO_DIR: path.resolve(folder, "../../proto"), ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ ok: !error, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

/** The names of every case the program has. */
export async function interopCases(): Promise<string[]> {
  const binary = await ensureInterop();
  return new Promise((resolve, reject) => {
    execFile(binary, ["list"], (error, stdout) => (error ? reject(error) : resolve(stdout.trim().split("\n"))));
  });
}
