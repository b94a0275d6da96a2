/**
 * In-process figures for the building blocks: the erasure-coded store's
 * Reed-Solomon and HighwayHash, and the SHA-256 every Save records.
 */
import { createHash, randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { bitrotHash } from "../drivers/local/bitrot.ts";
import { ErasureCodec } from "../drivers/local/codec.ts";
import { shardSizeFor } from "../drivers/local/format.ts";
import { sha256OfFile } from "../src/file-digest.ts";
import { MiB } from "./measure.ts";

export interface CodecFigure {
  name: string;
  /** MB of object data per CPU-second of this process (all threads). */
  mbPerCpu: number;
}

async function perCpu(bytes: number, work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return bytes / 1e6 / ((used.user + used.system) / 1e6);
}

/** The name of the figure for what a file Save's digest costs. */
export const FILE_SHA256 = "SHA-256 of a Save's file (worker thread, as Saves hash)";

/** `file` (page-cached) is hashed as a file Save hashes it. */
export async function codecFigures(file: { path: string; size: number }, totalMiB = 512): Promise<CodecFigure[]> {
  const figures: CodecFigure[] = [];
  for (const [k, m] of [
    [4, 2],
    [8, 4],
  ] as const) {
    const codec = new ErasureCodec(k, m);
    const shard = shardSizeFor(MiB, k);
    // 64 stripes (~100 MiB) in rotation, so the figures are not those of a cache-hot buffer.
    const stripes = Array.from({ length: 64 }, () => ({
      data: randomBytes(k * shard),
      parity: Buffer.alloc(m * shard),
    }));
    const blocks = totalMiB;
    figures.push({
      name: `Reed-Solomon encode ${k}+${m}`,
      mbPerCpu: await perCpu(blocks * MiB, async () => {
        for (let b = 0; b < blocks; b++) {
          const { data, parity } = stripes[b % stripes.length]!;
          await codec.encode(data, parity, shard);
        }
      }),
    });
    const lost = Array.from({ length: m }, (_, i) => i); // m data shards lost: the worst case
    const present = Array.from({ length: k + m }, (_, i) => i)
      .filter((i) => !lost.includes(i))
      .slice(0, k);
    figures.push({
      name: `Reed-Solomon rebuild ${m} data shards ${k}+${m}`,
      mbPerCpu: await perCpu(blocks * MiB, async () => {
        for (let b = 0; b < blocks; b++) {
          const { data, parity } = stripes[b % stripes.length]!;
          await codec.rebuild(present, lost, data, parity, shard);
        }
      }),
    });
  }
  const chunks = Array.from({ length: 256 }, () => randomBytes(256 * 1024));
  figures.push({
    name: "HighwayHash-256 bitrot (256 KiB shards)",
    mbPerCpu: await perCpu(totalMiB * MiB, async () => {
      for (let i = 0; i < totalMiB * 4; i++) bitrotHash(chunks[i % chunks.length]!);
    }),
  });
  figures.push({
    name: "SHA-256 (node:crypto on the event loop, 256 KiB chunks: SaveStream's digest)",
    mbPerCpu: await perCpu(totalMiB * MiB, async () => {
      const hash = createHash("sha256");
      for (let i = 0; i < totalMiB * 4; i++) hash.update(chunks[i % chunks.length]!);
      hash.digest();
    }),
  });
  const handle = await open(file.path);
  try {
    figures.push({
      name: FILE_SHA256,
      mbPerCpu: await perCpu(file.size, () => sha256OfFile(handle, file.size).then(() => {})),
    });
  } finally {
    await handle.close();
  }
  return figures;
}
