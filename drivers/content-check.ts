/**
 * A download checked against the digest its store keeps for the whole
 * object: the SHA-256 our Saves record, or a store's own MD5. The last chunk is held back until the digest is
 * known to match, so a damaged object fails with DATA_LOSS before its last
 * byte is delivered: no consumer ever holds a complete wrong artifact, even
 * one that ignores the error at the end (a browser download through
 * argo-server, a `cat` into a pipe).
 */
import { createHash } from "node:crypto";
import { pipeline, type Readable, Transform } from "node:stream";
import { DEFERRED_CHECK, type DeferredCheck } from "../src/driver.ts";
import { DataLossError } from "../src/errors.ts";

/** The digest a store keeps of a whole object, as it writes it. */
export interface StoredDigest {
  algorithm: "md5" | "sha256";
  value: string;
  encoding: "base64" | "hex";
}

/**
 * `body`, checked against `digest` as it flows; `damaged` builds the error
 * for what was read instead. An error or cancel on either side ends both.
 * A consumer may take the check over (DEFERRED_CHECK) for an object of a
 * known `size`, up to the bound it asks for.
 */
export function checkedBody(
  body: Readable,
  digest: StoredDigest,
  damaged: (actual: string) => DataLossError,
  size?: number,
): Readable {
  const hash = createHash(digest.algorithm);
  let held: Buffer | undefined;
  let taken = false;
  let checkedAlready = false;
  const checked = new Transform({
    // Chunks as they came, 16 ahead, as resumable-read.ts gives them: in byte mode every read
    // would join whatever is buffered into a fresh copy.
    objectMode: true,
    highWaterMark: 16,
    transform(chunk: Buffer, _encoding, done) {
      if (taken) return done(null, chunk);
      if (chunk.length === 0) return done(); // an empty last chunk would hold back nothing
      hash.update(chunk);
      if (held) this.push(held);
      held = chunk;
      done();
    },
    flush(done) {
      if (taken) return done();
      checkedAlready = true;
      const actual = hash.digest(digest.encoding);
      if (actual !== digest.value) return done(damaged(actual)); // the held chunk is never delivered
      if (held) this.push(held);
      held = undefined;
      done();
    },
  });
  pipeline(body, checked, () => {});
  const toHex = (value: string, from: BufferEncoding) => Buffer.from(value, from).toString("hex");
  const takeOver = (maxBytes: number): DeferredCheck | undefined => {
    if (checkedAlready || taken || size === undefined || size > maxBytes) return undefined;
    taken = true; // what was hashed so far is dropped: the consumer hashes the whole content
    if (held) checked.push(held);
    held = undefined;
    return {
      algorithm: digest.algorithm,
      expected: toHex(digest.value, digest.encoding),
      damaged: (actual) => damaged(Buffer.from(actual, "hex").toString(digest.encoding)),
    };
  };
  return Object.assign(checked, { [DEFERRED_CHECK]: takeOver });
}

/** The user-metadata key under which our object stores keep the content's SHA-256, in hex. */
export const SHA256_METADATA_KEY = "multistore-sha256";

/** The SHA-256 an object's user metadata records, if it records a well-formed one. */
export function recordedSha256(
  metadata: Readonly<Record<string, unknown>> | undefined,
  name = SHA256_METADATA_KEY,
): StoredDigest | undefined {
  const value = metadata?.[name];
  if (typeof value !== "string" || !/^[0-9a-f]{64}$/.test(value)) return undefined;
  return { algorithm: "sha256", value, encoding: "hex" };
}

/** What a download check says when the bytes do not match: where, which digest, what was read. */
export function damagedObject(where: string, digest: StoredDigest, actual: string): DataLossError {
  const name = digest.algorithm === "sha256" ? "SHA-256" : "MD5";
  return new DataLossError(
    `${where} read back with ${name} ${actual}, but it was stored with ${digest.value}: ` +
      "the data was damaged on the way or in the store, or rewritten behind the plugin",
  );
}

/** `{ sha256 }` for an ObjectInfo when the metadata records one, else nothing. */
export function sha256Field(
  metadata: Readonly<Record<string, unknown>> | undefined,
  name = SHA256_METADATA_KEY,
): { sha256?: string } {
  const recorded = recordedSha256(metadata, name);
  return recorded ? { sha256: recorded.value } : {};
}
