/** Memory checks for streamed transfers: bodies generated on the fly, and the process's peak RSS growth. */
import { Readable } from "node:stream";
import { MiB } from "../../src/units.ts";

/** `size` bytes (a multiple of 1 MiB) as a stream that never holds more than one 1 MiB chunk. */
export function generatedBody(size: number, fill: number): Readable {
  const chunk = Buffer.alloc(MiB, fill);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += MiB) yield chunk;
    })(),
  );
}

/** Runs `work` while sampling this process's RSS every 20 ms; resolves with the peak growth in MiB. */
export async function peakRssGrowthMiB(work: () => Promise<unknown>): Promise<number> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return (peak - baseline) / MiB;
}
