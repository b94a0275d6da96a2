/** The plugin as a child process (`node src/main.ts <socket>`), as Argo runs it, for tests. */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const main = path.resolve("src/main.ts");
const started: ChildProcess[] = [];

/**
 * Starts the plugin on `socketPath` (with `env` added to this process's
 * environment) and resolves once it logs readiness; `logs` keeps its stderr lines.
 */
export async function startPlugin(
  socketPath: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; logs: string[] }> {
  const child = spawn(process.execPath, [main, socketPath], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  started.push(child);
  const logs: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      logs.push(...chunk.toString().trim().split("\n"));
      if (logs.some((line) => line.includes('"msg":"ready"'))) resolve();
    });
    child.once("exit", (code) => reject(new Error(`plugin exited with ${code}: ${logs.join("\n")}`)));
  });
  return { child, logs };
}

/** Kills every plugin process started so far (for afterEach/afterAll). */
export function killPlugins(): void {
  for (const child of started.splice(0)) child.kill("SIGKILL");
}
