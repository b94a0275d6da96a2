/**
 * The SHA-256 the s3 driver gives the SDK for SigV4 (drivers/s3/signing-hash.ts):
 * byte for byte what node:crypto computes, for every kind of key the SDK
 * passes, including a remembered key whose bytes change. (Signing against
 * MinIO runs through it in every other s3 test.)
 */
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SigningSha256 } from "../../drivers/s3/signing-hash.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const hmac = (key: Uint8Array | string, data: string) => createHmac("sha256", key).update(data).digest("hex");

describe("the SigV4 hash", () => {
  it("hashes like node:crypto, and digests any number of times", async () => {
    const hash = new SigningSha256();
    hash.update("canonical ");
    expect(hex(await hash.digest())).toBe(createHash("sha256").update("canonical ").digest("hex"));
    hash.update(Buffer.from("request"));
    expect(hex(await hash.digest())).toBe(createHash("sha256").update("canonical request").digest("hex"));
    hash.reset();
    expect(hex(await hash.digest())).toBe(createHash("sha256").digest("hex"));
  });

  it("computes HMACs under byte-array, string and empty keys", async () => {
    const key = new Uint8Array(Buffer.from("0123456789abcdef0123456789abcdef"));
    for (const secret of [key, key, "AWS4secret", new Uint8Array(0), key.buffer]) {
      const mac = new SigningSha256(secret);
      mac.update("string to sign");
      const raw = secret instanceof ArrayBuffer ? new Uint8Array(secret) : secret;
      expect(hex(await mac.digest())).toBe(hmac(raw, "string to sign"));
    }
  });

  it("follows a remembered key whose bytes changed", async () => {
    const key = new Uint8Array(32).fill(1);
    const first = new SigningSha256(key);
    first.update("x");
    expect(hex(await first.digest())).toBe(hmac(key, "x"));
    key.fill(2);
    const second = new SigningSha256(key);
    second.update("x");
    expect(hex(await second.digest())).toBe(hmac(key, "x"));
  });
});
