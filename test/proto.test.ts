/** The committed message types in src/generated match what proto/ generates today. */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

async function files(root: string, dir = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

it("src/generated is up to date with proto/ (run `npm run gen:proto`)", async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), "gen-"));
  try {
    const script = JSON.parse(await readFile("package.json", "utf8")).scripts["gen:proto"] as string;
    const args = script.split("&&")[1]?.trim().split(/\s+/).slice(1) ?? [];
    const outIndex = args.indexOf("-O");
    args[outIndex + 1] = out;
    execFileSync(process.execPath, [
      path.resolve("node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js"),
      ...args,
    ]);
    const committed = await files("src/generated");
    expect(await files(out)).toEqual(committed);
    for (const file of committed) {
      expect(await readFile(path.join(out, file), "utf8"), file).toBe(
        await readFile(path.join("src/generated", file), "utf8"),
      );
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
