/**
 * Azurite, Microsoft's Azure Storage emulator (npm, pinned in
 * devDependencies), blob service only, on 127.0.0.1 with a temp location.
 * `--blobPort 0` picks a free port, read back from its "successfully listens
 * on" line. `--skipApiVersionCheck`: the SDK speaks a newer REST API version
 * than this Azurite knows, for calls that have not changed.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { stopChild, tailOutput } from "./process.ts";

/** Azurite's fixed development account, documented by Microsoft and built into the emulator. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  /** `http://127.0.0.1:<port>/devstoreaccount1`: the account's blob endpoint. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<AzuriteServer> {
  const main = createRequire(import.meta.url).resolve("azurite/dist/src/blob/main.js");
  const location = await mkdtemp(path.join(os.tmpdir(), "azurite-"));
  const child = spawn(
    process.execPath,
    [
      main,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      "0",
      "--location",
      location,
      "--disableTelemetry",
      "--skipApiVersionCheck",
    ],
    { stdio: ["ignore", "pipe", "pipe"], cwd: location },
  );
  const output = tailOutput(child);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no 'successfully listens on' line within 30 s")), 30_000);
      child.stdout?.on("data", () => {
        const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output());
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
    return {
      endpoint: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
      async stop() {
        await stopChild(child);
        await rm(location, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child);
    await rm(location, { recursive: true, force: true });
    throw new Error(`Azurite did not start: ${(error as Error).message}\n${output()}`);
  }
}
