/**
 * Where things live on the drives, and per-key locking.
 *
 * Drive `d` holds `objects/<key>/@shard/<version>` (see format.ts) and
 * `tmp/` for writes in progress. Every version of an object has its own file
 * name, so committing a new version never overwrites the old one: the old
 * version is removed only once the new one holds a write quorum. Shard `j`
 * of `key` goes to drive `(j + rotation(key)) mod N`, the rotation being a
 * hash of the key, so parity (and the load of reading data shards) spreads
 * over all drives. Temp files are named `<host>-<pid namespace>-<pid>-<uuid>`:
 * a leftover whose process is gone is safe to delete.
 */
import { createHash, randomUUID } from "node:crypto";
import { readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { InvalidKeyError } from "../../src/errors.ts";
import { SHARD_DIR } from "./format.ts";

export class DriveSet {
  readonly roots: readonly string[];
  /** Locks shared by every driver of this process over the same drives. */
  readonly locks: KeyLocks;

  constructor(roots: readonly string[]) {
    this.roots = roots;
    const id = roots.join("\0");
    let locks = lockTables.get(id);
    if (!locks) lockTables.set(id, (locks = new KeyLocks()));
    this.locks = locks;
  }

  get count(): number {
    return this.roots.length;
  }

  objectsDir(drive: number): string {
    return path.join(this.roots[drive] as string, "objects");
  }

  tmpDir(drive: number): string {
    return path.join(this.roots[drive] as string, "tmp");
  }

  /** The drive that holds shard `index` of `key`. */
  driveFor(key: string, index: number): number {
    return (index + rotation(key, this.count)) % this.count;
  }

  /** The folder of `key` on `drive`, asserted to lie inside the drive's objects folder. */
  objectDir(drive: number, key: string): string {
    const objects = this.objectsDir(drive);
    const folder = path.join(objects, key);
    const relative = path.relative(objects, folder);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new InvalidKeyError(`key '${key}' resolves outside the local store`);
    }
    if (key.split("/").includes(SHARD_DIR)) {
      throw new InvalidKeyError(`key '${key}' uses the segment '${SHARD_DIR}', which the local store reserves`);
    }
    return folder;
  }

  /** The folder holding the versions of `key`'s shard on `drive`. */
  versionsDir(drive: number, key: string): string {
    return path.join(this.objectDir(drive, key), SHARD_DIR);
  }

  shardPath(drive: number, key: string, version: string): string {
    return path.join(this.versionsDir(drive, key), version);
  }

  /** A fresh temp file name on `drive`, owned by this process. */
  tempPath(drive: number): string {
    return path.join(this.tmpDir(drive), `${TEMP_OWNER}-${randomUUID()}`);
  }
}

const lockTables = new Map<string, KeyLocks>();

function pidNamespace(): string {
  try {
    return readlinkSync("/proc/self/ns/pid").replace(/\D/g, "") || "0";
  } catch {
    return "0";
  }
}

const HOST = os.hostname().replace(/[^A-Za-z0-9.]/g, "_");
/** Who is writing: host, PID namespace and PID together name one live process. */
export const TEMP_PREFIX = `${HOST}-${pidNamespace()}-`;
export const TEMP_OWNER = `${TEMP_PREFIX}${process.pid}`;

/** A new version id: commit time first, so names sort by age. */
export function newVersion(mtime: number): string {
  return `${mtime.toString().padStart(15, "0")}-${randomUUID()}`;
}

/** The commit time encoded in a version id (NaN if the name is not a version). */
export function versionTime(version: string): number {
  return /^\d{15}-[0-9a-f-]{36}$/.test(version) ? Number(version.slice(0, 15)) : Number.NaN;
}

function rotation(key: string, drives: number): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) % drives;
}

/**
 * In-process exclusive locks per key. Writers hold one only while renaming
 * their shards into place, readers only while opening shard files (an open
 * file keeps its version even if replaced), so a reader never sees half a
 * commit and two writers never interleave their renames.
 */
export class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
