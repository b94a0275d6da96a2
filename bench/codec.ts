/** In-process figures for the erasure-coded store's building blocks: Reed-Solomon and HighwayHash. */
import { randomBytes } from "node:crypto";
import { bitrotHash } from "../drivers/local/bitrot.ts";
import { ErasureCodec } from "../drivers/local/codec.ts";
import { shardSizeFor } from "../drivers/local/format.ts";
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

export async function codecFigures(totalMiB = 512): Promise<CodecFigure[]> {
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
  return figures;
}
