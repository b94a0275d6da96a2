/**
 * The object stores' download check (drivers/content-check.ts): every byte
 * of an object that matches its stored digest, and DATA_LOSS for one that
 * does not, before its last byte is delivered.
 */
import { createHash } from "node:crypto";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { checkedBody, type StoredDigest } from "../drivers/content-check.ts";
import { takeCheck } from "../src/driver.ts";
import { DataLossError } from "../src/errors.ts";
import { download } from "../src/file-sink.ts";
import { bytes, collect, readUntilFailure, sha256, streamOf } from "./helpers/data.ts";

const digestOf = (data: Buffer): StoredDigest => ({
  algorithm: "sha256",
  value: createHash("sha256").update(data).digest("hex"),
  encoding: "hex",
});
const damaged = (actual: string) => new DataLossError(`read back as ${actual}`);

describe("checkedBody", () => {
  it("hands its check over to a consumer that checks what it wrote: then every byte passes, matching or not", async () => {
    const data = bytes(300_000);
    for (const [label, digest] of [
      ["a matching sha256", digestOf(data)],
      ["another sha256", digestOf(bytes(10))],
      [
        "an md5 in base64",
        { algorithm: "md5", value: createHash("md5").update(data).digest("base64"), encoding: "base64" },
      ],
    ] as const) {
      const body = checkedBody(streamOf(data, 10_007), digest as StoredDigest, damaged, data.length);
      expect(takeCheck(body, data.length - 1)).toBeUndefined(); // larger than the consumer reads back: kept
      const check = takeCheck(body, data.length);
      expect(check, label).toBeDefined();
      expect(takeCheck(body, data.length)).toBeUndefined(); // once
      expect(sha256(await collect(body))).toBe(sha256(data)); // nothing held back, no error
      const actual = createHash(check?.algorithm ?? "")
        .update(data)
        .digest("hex");
      expect(actual === check?.expected, label).toBe(label !== "another sha256");
      expect(check?.damaged(actual)).toBeInstanceOf(DataLossError);
    }
  });

  it("is taken over by a Load's file: written whole, hashed from the file, DATA_LOSS on a mismatch", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "file-sink-"));
    try {
      const data = bytes(3 * 1024 * 1024 + 5); // past the in-place size: the worker reads the file back
      const create = (name: string) => () => open(path.join(dir, name), "wx+");
      const good = checkedBody(streamOf(data, 65_536), digestOf(data), damaged, data.length);
      expect(await download(good, create("good"))).toBe(data.length);
      const bad = checkedBody(streamOf(data, 65_536), digestOf(bytes(10)), damaged, data.length);
      await expect(download(bad, create("bad"))).rejects.toBeInstanceOf(DataLossError);
      // Written whole before the check (a streaming check would have held the last chunk back):
      // the check was the file's. The Load's staging never publishes it (test/conformance).
      expect((await readFile(path.join(dir, "bad"))).length).toBe(data.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps its check once it has made it (a small body that ended before it was asked)", async () => {
    const body = checkedBody(streamOf(Buffer.from("tiny")), digestOf(Buffer.from("tiny")), damaged, 4);
    expect((await collect(body)).toString()).toBe("tiny");
    expect(takeCheck(body, 100)).toBeUndefined();
  });

  it("delivers every byte of a body that matches its digest, the last chunk too", async () => {
    for (const size of [0, 1, 65_536, 1_000_003]) {
      const data = bytes(size);
      const out = await collect(checkedBody(streamOf(data, 10_007), digestOf(data), damaged));
      expect(sha256(out)).toBe(sha256(data));
    }
  });

  it("fails a body that does not match with DATA_LOSS, holding its last chunk back", async () => {
    const data = bytes(300_000);
    const other = Buffer.from(data);
    other.writeUInt8(other.readUInt8(299_999) ^ 1, 299_999); // the very last byte
    const { delivered, error } = await readUntilFailure(checkedBody(streamOf(other, 10_000), digestOf(data), damaged));
    expect(error).toBeInstanceOf(DataLossError);
    expect(delivered).toBeLessThan(other.length); // at most the chunks before the last: buffered ones go with the error
  });

  it("holds back a real chunk even when the body ends with an empty one", async () => {
    const data = bytes(30_000);
    const source = Readable.from([data.subarray(0, 20_000), data.subarray(20_000), Buffer.alloc(0)]);
    const { delivered, error } = await readUntilFailure(checkedBody(source, digestOf(bytes(30_000)), damaged));
    expect(error).toBeInstanceOf(DataLossError);
    expect(delivered).toBeLessThan(data.length);
  });

  it("passes a failure of the body on, and the digest's own encoding", async () => {
    const failing = new Readable({ read() {} });
    const checked = checkedBody(failing, digestOf(Buffer.alloc(0)), damaged);
    failing.destroy(new Error("the connection dropped"));
    await expect(collect(checked)).rejects.toThrow("the connection dropped");
    const md5 = {
      algorithm: "md5",
      value: createHash("md5").update("x").digest("base64"),
      encoding: "base64",
    } as const;
    expect((await collect(checkedBody(streamOf(Buffer.from("x")), md5, damaged))).toString()).toBe("x");
  });
});
