/**
 * SHA-256 and HMAC-SHA256 for the SDK's request signing (its `sha256`
 * option), with HMAC keys as KeyObjects. SigV4 signs every request with an
 * HMAC under the day's signing key. On Node 24, createHmac() given a key as
 * bytes costs about 38 µs (its key check throws and catches internally),
 * given a KeyObject about 6 µs: a directory of 2,000 small files signs
 * thousands of times, and in a profile of a directory Load that check was
 * the largest cost in JavaScript, behind only the socket writes and file
 * calls. The SDK keeps its signing key as one
 * Uint8Array for the day, so its KeyObject is made once and kept beside it.
 */

import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from "node:crypto";
import type { Checksum, SourceData } from "@smithy/types";

/** Per key array: its bytes when the KeyObject was made (a caller that changed them gets a new one), and the KeyObject. */
const keyObjects = new WeakMap<object, { bytes: Buffer; key: KeyObject }>();

function bytesOf(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The HMAC key for `secret`: remembered for a byte array (the SDK's signing key), made afresh for a string. */
function hmacKey(secret: SourceData): KeyObject | Buffer {
  const bytes = bytesOf(secret);
  if (bytes.length === 0) return bytes; // a KeyObject cannot be empty; HMAC with an empty key is still defined
  if (typeof secret === "string") return createSecretKey(bytes);
  const known = keyObjects.get(secret);
  if (known?.bytes.equals(bytes)) return known.key;
  const copy = Buffer.from(bytes);
  const key = createSecretKey(copy);
  keyObjects.set(secret, { bytes: copy, key });
  return key;
}

/** The SDK's Checksum contract, as its own Node implementation keeps it (an HMAC digests once; a hash any number of times). */
export class SigningSha256 implements Checksum {
  private readonly secret: SourceData | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret;
    this.hash = this.create();
  }

  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    const digest = this.secret ? this.hash.digest() : (this.hash as Hash).copy().digest();
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret ? createHmac("sha256", hmacKey(this.secret)) : createHash("sha256");
  }
}
