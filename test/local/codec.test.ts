/** The Reed-Solomon codec: stable parity (stored data depends on it) and recovery from any m erasures. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ErasureCodec } from "../../drivers/local/codec.ts";

/** Deterministic pseudo-random bytes (xorshift), so golden vectors do not depend on a RNG. */
function pattern(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex").slice(0, 16);

async function encoded(k: number, m: number, shardSize: number, seed: number) {
  const codec = new ErasureCodec(k, m);
  const data = pattern(k * shardSize, seed);
  const parity = Buffer.alloc(m * shardSize);
  await codec.encode(data, parity, shardSize);
  return { codec, data, parity };
}

/** Every subset of `{0..n-1}` with at most `max` members. */
function subsets(n: number, max: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << n; mask++) {
    const members = Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));
    if (members.length <= max) out.push(members);
  }
  return out;
}

describe("erasure codec", () => {
  // Known vectors: parity of fixed inputs. If these change, existing shard files become unreadable.
  it.each([
    [4, 2, "37e2af7f7f3fe547"],
    [8, 4, "e5e7970570a282ca"],
    [3, 1, "d9c6aa7f542d3399"],
  ])("encodes %d+%d parity to its known vector", async (k, m, expected) => {
    const { parity } = await encoded(k, m, 4096, 42);
    expect(sha(parity)).toBe(expected);
  });

  it("makes a single parity shard the XOR of the data shards (the code's first row)", async () => {
    for (const k of [1, 2, 3, 5, 8]) {
      const { parity, data } = await encoded(k, 1, 512, k);
      const xor = Buffer.alloc(512);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < 512; j++) xor[j] = (xor[j] as number) ^ (data[i * 512 + j] as number);
      expect(parity.equals(xor), `${k}+1`).toBe(true);
    }
  });

  it("leaves the data shards as they are (systematic) and gives zero parity for zero data", async () => {
    const codec = new ErasureCodec(4, 2);
    const data = Buffer.alloc(4 * 1024);
    const parity = Buffer.alloc(2 * 1024, 0xaa);
    await codec.encode(data, parity, 1024);
    expect(parity.equals(Buffer.alloc(2 * 1024))).toBe(true);
    const { data: kept } = await encoded(4, 2, 1024, 7);
    expect(kept.equals(pattern(4 * 1024, 7))).toBe(true);
  });

  it("is linear: parity(a xor b) = parity(a) xor parity(b)", async () => {
    const a = await encoded(4, 2, 512, 1);
    const b = await encoded(4, 2, 512, 2);
    const xorData = Buffer.from(a.data.map((v, i) => v ^ (b.data[i] as number)));
    const xorParity = Buffer.alloc(2 * 512);
    await a.codec.encode(xorData, xorParity, 512);
    expect(xorParity.equals(Buffer.from(a.parity.map((v, i) => v ^ (b.parity[i] as number))))).toBe(true);
  });

  for (const [k, m] of [
    [2, 1],
    [2, 2],
    [3, 2],
    [4, 2],
    [5, 3],
    [4, 4],
  ] as const) {
    it(`${k}+${m}: rebuilds every erasure of up to ${m} shards`, async () => {
      const shardSize = 256;
      const { codec, data, parity } = await encoded(k, m, shardSize, k * 31 + m);
      for (const lost of subsets(k + m, m)) {
        const d = Buffer.from(data);
        const p = Buffer.from(parity);
        for (const i of lost)
          (i < k ? d : p).fill(0xee, (i < k ? i : i - k) * shardSize, ((i < k ? i : i - k) + 1) * shardSize);
        const present = Array.from({ length: k + m }, (_, i) => i)
          .filter((i) => !lost.includes(i))
          .slice(0, k);
        await codec.rebuild(present, lost, d, p, shardSize);
        expect(d.equals(data), `lost ${lost}`).toBe(true);
        expect(p.equals(parity), `lost ${lost}`).toBe(true);
      }
    });
  }

  it("refuses to rebuild from fewer than k shards", async () => {
    const { codec, data, parity } = await encoded(4, 2, 64, 3);
    await expect(codec.rebuild([0, 1, 2], [3, 4, 5], data, parity, 64)).rejects.toThrow(/needed/);
  });
});
