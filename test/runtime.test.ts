/**
 * The runtime the project promises: tests run on Node 24 (the pinned `node`
 * devDependency), and the compiled build that the Docker image ships starts
 * as Argo starts it.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { ArtifactClient } from "../src/client.ts";

it("runs on Node 24 LTS", () => {
  expect(process.versions.node.split(".")[0]).toBe("24");
});

it("the compiled build (the image's entrypoint) serves and exits 0 on SIGTERM", async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), "dist-"));
  try {
    execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--outDir", out]);
    execFileSync("cp", ["-r", "proto", path.join(out, "proto")]);
    // The image has node_modules beside dist; give the copy the same.
    execFileSync("ln", ["-s", path.resolve("node_modules"), path.join(out, "node_modules")]);
    const socketPath = path.join(out, "run", "socket");
    const child = spawn(process.execPath, [path.join(out, "src", "main.js"), socketPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    await new Promise<void>((resolve) =>
      child.stderr.on("data", (c: Buffer) => c.toString().includes('"ready"') && resolve()),
    );
    const client = new ArtifactClient(socketPath, { configuration: "local: {drives: [/tmp]}" });
    expect(await client.supportsSaveStream()).toBe(true);
    client.close();
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    await expect(stat(socketPath)).rejects.toThrow();
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
