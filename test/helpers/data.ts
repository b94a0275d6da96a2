/** Deterministic test content and digests. */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";

/** `size` pseudo-random bytes (random, so that nothing compresses them away). */
export function bytes(size: number): Buffer {
  return randomBytes(size);
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Reads a stream whole (test-sized data only). */
export async function collect(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** A stream of `data` in chunks of `chunkSize`. */
export function streamOf(data: Buffer, chunkSize = 64 * 1024): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let offset = 0; offset < data.length; offset += chunkSize) yield data.subarray(offset, offset + chunkSize);
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** A stream that yields `data`, then fails: a client or disk dying mid-upload. */
export function failingStream(data: Buffer): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    yield data;
    await new Promise((r) => setTimeout(r, 10));
    throw new Error("source died mid-upload");
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Writes a tree of files: `{ "a.txt": Buffer, "sub/b.bin": Buffer }`. */
export async function writeTree(root: string, files: Record<string, Buffer>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
}

/** A unique key prefix per test, so tests never see each other's objects. */
export function uniquePrefix(label = "t"): string {
  return `${label}-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
}

/**
 * Reads `stream` to its end or its error, counting the bytes that arrive:
 * what a consumer that ignores the error would hold. Resolves with the count
 * and the error, if there was one.
 */
export async function readUntilFailure(
  stream: AsyncIterable<unknown>,
): Promise<{ delivered: number; error?: unknown }> {
  let delivered = 0;
  try {
    for await (const chunk of stream) delivered += (chunk as Buffer).length;
    return { delivered };
  } catch (error) {
    return { delivered, error };
  }
}
