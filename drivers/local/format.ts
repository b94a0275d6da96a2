/**
 * The shard file: one per object version per drive, at
 * `<drive>/objects/<key>/@shard/<version>`.
 *
 *   [header: 4096 bytes]  "multistore-shard 1\n" + JSON metadata + "\n" + hex HH-256 of the JSON + "\n", space-padded
 *   [block 0: 32-byte block hash of the shard][shard bytes]
 *   [block 1: ...]                                   one entry per block of blockSize bytes of the object
 *
 * Format 2 keys each block hash by version, shard index and block index
 * (bitrot.ts), so a block written in the wrong place fails its check;
 * format 1 hashed the bytes alone and is still read.
 *
 * A block of the object is split into k data shards (zero-padded to a
 * multiple of 8 bytes) plus m parity shards; this file holds shard `index`
 * of every block. Hashing each shard where it lies (MinIO's "streaming
 * bitrot" format) lets a read verify exactly what it reads, block by block.
 * The header names the object's `version`, so shards of different writes are
 * never mixed, and carries everything needed to read without the config.
 */
import { DataLossError } from "../../src/errors.ts";
import { MiB } from "../../src/units.ts";
import { bitrotHash, HASH_BYTES } from "./bitrot.ts";

export const HEADER_BYTES = 4096;
/** The format new shard files are written in. */
export const SHARD_FORMAT = 2;
/** The folder, inside an object's folder, holding its shard files (one per version). */
export const SHARD_DIR = "@shard";
const MAGIC = "multistore-shard 1\n";

/** What every shard file of one object version says about it (only `index` differs). */
export interface ShardHeader {
  /** 1: plain block hashes; 2: block hashes bound to version, shard and block (bitrot.ts). */
  format: 1 | 2;
  key: string;
  /** Id of the write that made this version (its file name): commit time, then a UUID. */
  version: string;
  /** Unix ms at commit: the newest version with a read quorum wins. */
  mtime: number;
  size: number;
  dataShards: number;
  parityShards: number;
  blockSize: number;
  /** Which shard of each block this file holds: 0..k-1 data, k..k+m-1 parity. */
  index: number;
  /** HighwayHash-256 of the whole object, hex: what every read checks. */
  digest: string;
  /**
   * SHA-256 of the whole object, hex: the digest every backend records
   * (src/unchanged.ts compares it). Absent in objects written before it was.
   */
  sha256?: string;
}

export function encodeHeader(header: ShardHeader): Buffer {
  const json = JSON.stringify(header);
  const text = `${MAGIC}${json}\n${bitrotHash(Buffer.from(json)).toString("hex")}\n`;
  const out = Buffer.alloc(HEADER_BYTES, 0x20);
  if (Buffer.byteLength(text) > HEADER_BYTES) throw new Error("shard header too large");
  out.write(text);
  return out;
}

/** Parses a header; a damaged one throws DataLossError (the caller treats the shard as missing). */
export function decodeHeader(bytes: Buffer, where: string): ShardHeader {
  const text = bytes.toString("utf8", 0, Math.min(bytes.length, HEADER_BYTES));
  const [magic, json, hash] = text.split("\n");
  if (`${magic}\n` !== MAGIC || !json || !hash) throw new DataLossError(`${where}: not a shard file`);
  if (bitrotHash(Buffer.from(json)).toString("hex") !== hash)
    throw new DataLossError(`${where}: shard header is corrupt`);
  const header = JSON.parse(json) as ShardHeader;
  if (header.format !== 1 && header.format !== 2)
    throw new DataLossError(`${where}: unknown shard format ${String(header.format)}`);
  return header;
}

/** Whether a header naming `key` fits in HEADER_BYTES (JSON escapes can make a key six times longer). */
export function headerFits(key: string): boolean {
  const widest: ShardHeader = {
    format: SHARD_FORMAT,
    key,
    version: `${"9".repeat(15)}-${"f".repeat(36)}`,
    mtime: Number.MAX_SAFE_INTEGER,
    size: Number.MAX_SAFE_INTEGER,
    dataShards: 24,
    parityShards: 6,
    blockSize: 16 * MiB,
    index: 29,
    digest: "f".repeat(64),
    sha256: "f".repeat(64),
  };
  const json = JSON.stringify(widest);
  return Buffer.byteLength(`${MAGIC}${json}\n${"f".repeat(64)}\n`) <= HEADER_BYTES;
}

/** Sizes and offsets of an object's blocks and shards. */
export class Geometry {
  readonly blocks: number;
  /** Shard size of a full block. */
  readonly fullShardSize: number;
  private readonly header: Pick<ShardHeader, "size" | "dataShards" | "blockSize">;

  constructor(header: Pick<ShardHeader, "size" | "dataShards" | "blockSize">) {
    this.header = header;
    this.blocks = Math.ceil(header.size / header.blockSize);
    this.fullShardSize = shardSizeFor(header.blockSize, header.dataShards);
  }

  /** Object bytes in block `b`. */
  blockBytes(b: number): number {
    return Math.min(this.header.blockSize, this.header.size - b * this.header.blockSize);
  }

  /** Bytes of one shard of block `b`. */
  shardSize(b: number): number {
    return b === this.blocks - 1 ? shardSizeFor(this.blockBytes(b), this.header.dataShards) : this.fullShardSize;
  }

  /** Where block `b`'s entry (hash, then shard) starts in a shard file. */
  offset(b: number): number {
    return HEADER_BYTES + b * (HASH_BYTES + this.fullShardSize);
  }

  /** The exact size of a complete shard file. */
  fileSize(): number {
    return this.blocks === 0
      ? HEADER_BYTES
      : this.offset(this.blocks - 1) + HASH_BYTES + this.shardSize(this.blocks - 1);
  }
}

/** Bytes per shard for `blockBytes` of data over k shards: rounded up to 8, at least 8. */
export function shardSizeFor(blockBytes: number, dataShards: number): number {
  return Math.max(8, Math.ceil(Math.ceil(blockBytes / dataShards) / 8) * 8);
}
