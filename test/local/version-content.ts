/** Deterministic content for version `seed` of a test object: `mib` MiB, every MiB distinct. */
import { createHash } from "node:crypto";

export function* versionContent(seed: number, mib: number): Generator<Buffer> {
  const base = Buffer.alloc(1024 * 1024);
  let x = (seed + 1) * 2654435761;
  for (let i = 0; i < base.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    base.writeInt32LE(x | 0, i);
  }
  for (let i = 0; i < mib; i++) {
    const block = Buffer.from(base);
    block.writeUInt32LE(i, 0);
    block.writeUInt32LE(seed, 4);
    yield block;
  }
}

export function versionDigest(seed: number, mib: number): string {
  const hash = createHash("sha256");
  for (const block of versionContent(seed, mib)) hash.update(block);
  return hash.digest("hex");
}
