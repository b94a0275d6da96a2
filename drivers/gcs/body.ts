/** An upload body, split so that a small one goes up in one request and a large one holds its end back. */
import type { Hash } from "node:crypto";
import type { Readable } from "node:stream";

/** Reads up to `limit` bytes; `rest` is the rest of the body, or undefined if it ended within the limit. */
export async function peek(body: Readable, limit: number): Promise<{ first: Buffer; rest?: AsyncIterator<Buffer> }> {
  const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < limit) {
    const next = await iterator.next();
    if (next.done) return { first: Buffer.concat(chunks, size) };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { first: Buffer.concat(chunks, size), rest: iterator };
}

/**
 * `first`, then the rest of the body, each chunk of the rest hashed into
 * `sha256` on the way. The last chunk is held until `ready` (a digest hashed
 * elsewhere) settles: the upload's final request commits the object, so a
 * digest that fails (a file written to while being saved) stores nothing.
 */
export async function* concat(
  first: Buffer,
  rest: AsyncIterator<Buffer>,
  sha256?: Hash,
  ready?: Promise<unknown>,
): AsyncGenerator<Buffer> {
  let held = first;
  for (;;) {
    const next = await rest.next();
    if (next.done) break;
    sha256?.update(next.value);
    yield held;
    held = next.value;
  }
  await ready;
  yield held;
}
