/**
 * Where things live on the drives, what state each drive is in, and per-key
 * locking within this process.
 *
 * Drive `d` holds `format.json` (its identity, identity.ts), `objects/<key>/@shard/<version>`
 * (see format.ts), `tmp/` for writes in progress and `locks/` for the
 * leases that serialise commits across processes (lease.ts). Every version
 * of an object has its own file name, so committing a new version never
 * overwrites the old one: the old version is removed only once the new one
 * holds a write quorum. Shard `j` of `key` goes to drive
 * `(j + rotation(key)) mod N`, the rotation being a hash of the key, so
 * parity (and the load of reading data shards) spreads over all drives.
 * Temp files are named `<host>-<pid namespace>-<pid>-<uuid>`: a leftover
 * whose process is gone is safe to delete, and nothing else in `tmp/` is ours.
 */
import { createHash, randomUUID } from "node:crypto";
import { readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KeyLocks } from "../../src/concurrency.ts";
import { errnoCode, InvalidKeyError } from "../../src/errors.ts";
import { headerFits, SHARD_DIR } from "./format.ts";

/** What the store knows of a drive since it last looked (identity.ts). */
export type DriveState =
  /** Carries this store's marker at its position. `healing`: replaced or re-added, not yet rebuilt. */
  | { kind: "online"; healing: boolean }
  /** Missing, unreadable or not checked yet: nothing is read from or written to it. */
  | { kind: "offline"; reason: string };

/** Linux's NAME_MAX: the longest file name, in bytes. */
const MAX_SEGMENT_BYTES = 255;
/** Linux's PATH_MAX, less the terminating NUL. */
const MAX_PATH_BYTES = 4095;
/** A version id's length (newVersion). */
const VERSION_CHARS = 52;

export class DriveSet {
  /** The drives as configured. */
  readonly configured: readonly string[];
  /** Where each drive really is (its realpath once identified; as configured before). */
  readonly roots: string[];
  readonly states: DriveState[];
  /**
   * Locks shared by every driver of this process over the same drives. Writers hold a key's while
   * committing, readers only while opening its shard files (an open file keeps its version even if
   * replaced), so a reader here never sees half a commit made here and two commits never
   * interleave. Across processes, commits also take a lease (lease.ts) and readers re-resolve.
   */
  readonly locks: KeyLocks;
  /** Where this process's committers of a key queue for its lease (lease.ts), so readers do not wait behind them. */
  readonly leaseQueue: KeyLocks;
  /** How long a commit lease lives without renewal (lease.ts). */
  readonly leaseTtlMs: number;
  /** The configured k: how many drives must hold an object (objects carry their own k too). */
  readonly dataShards: number;
  /** Checks a drive's real path before anything is written there; throws to refuse it. */
  readonly confine: (real: string, drive: number) => void;

  constructor(
    roots: readonly string[],
    options: { leaseTtlMs?: number; dataShards?: number; confine?: (real: string, drive: number) => void } = {},
  ) {
    this.configured = roots;
    this.dataShards = options.dataShards ?? roots.length;
    this.confine = options.confine ?? (() => {});
    this.roots = [...roots];
    this.states = roots.map(() => ({ kind: "offline", reason: "not checked yet" }));
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    const id = roots.join("\0");
    let tables = lockTables.get(id);
    if (!tables) {
      tables = { locks: new KeyLocks(), leaseQueue: new KeyLocks() };
      lockTables.set(id, tables);
    }
    this.locks = tables.locks;
    this.leaseQueue = tables.leaseQueue;
  }

  get count(): number {
    return this.roots.length;
  }

  /** Drives that carry this store's marker (healing ones included). */
  online(): number[] {
    return this.roots.map((_r, d) => d).filter((d) => this.states[d]?.kind === "online");
  }

  isOnline(drive: number): boolean {
    return this.states[drive]?.kind === "online";
  }

  /**
   * Whether the drive's lack of an object is evidence that the object is not
   * there: only a drive in sync. A replaced drive being healed is empty
   * because it is new, not because anything was deleted.
   */
  vouchesForAbsence(drive: number): boolean {
    const state = this.states[drive];
    return state?.kind === "online" && !state.healing;
  }

  markerPath(drive: number): string {
    return path.join(this.roots[drive] as string, "format.json");
  }

  healingPath(drive: number): string {
    return path.join(this.roots[drive] as string, "healing.json");
  }

  objectsDir(drive: number): string {
    return path.join(this.roots[drive] as string, "objects");
  }

  tmpDir(drive: number): string {
    return path.join(this.roots[drive] as string, "tmp");
  }

  locksDir(drive: number): string {
    return path.join(this.roots[drive] as string, "locks");
  }

  /** The drive that holds shard `index` of `key`. */
  driveFor(key: string, index: number): number {
    return (index + rotation(key, this.count)) % this.count;
  }

  /**
   * Refuses, before anything is read or written, a key the store cannot hold:
   * one using the reserved segment, with a segment longer than a file name
   * may be, too long for a path on the longest drive, or too long for the
   * shard header. (Keys arrive normalised: no `..` segments.)
   */
  checkKey(key: string): void {
    checkKeyShape(key);
    const root = Math.max(...this.roots.map((r) => Buffer.byteLength(r)));
    const pathBytes = root + "/objects/".length + Buffer.byteLength(key) + `/${SHARD_DIR}/`.length + VERSION_CHARS;
    if (pathBytes > MAX_PATH_BYTES) {
      throw new InvalidKeyError(
        `key '${key}' is too long for the local store: its shard path would be ${pathBytes} bytes (at most ${MAX_PATH_BYTES})`,
      );
    }
  }

  /** The folder of `key` on `drive`, asserted to lie inside the drive's objects folder. */
  objectDir(drive: number, key: string): string {
    const objects = this.objectsDir(drive);
    const folder = path.join(objects, key);
    const relative = path.relative(objects, folder);
    if (relative === "" || relative === ".." || relative.startsWith("../") || path.isAbsolute(relative)) {
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

  /** A temp file name on `drive`, owned by this process: fresh, or that of the write `id` (a UUID). */
  tempPath(drive: number, id: string = randomUUID()): string {
    return path.join(this.tmpDir(drive), `${TEMP_OWNER}-${id}`);
  }
}

/** The checks of checkKey that need no drive: the reserved segment, segment length, header fit. */
export function checkKeyShape(key: string): void {
  const segments = key.split("/");
  if (segments.includes(SHARD_DIR)) {
    throw new InvalidKeyError(`key '${key}' uses the segment '${SHARD_DIR}', which the local store reserves`);
  }
  const longest = Math.max(...segments.map((s) => Buffer.byteLength(s)));
  if (longest > MAX_SEGMENT_BYTES) {
    throw new InvalidKeyError(
      `key '${key}' has a segment of ${longest} bytes; the local store allows ${MAX_SEGMENT_BYTES}`,
    );
  }
  if (!headerFits(key)) throw new InvalidKeyError(`key '${key}' is too long for the local store's shard header`);
}

const lockTables = new Map<string, { locks: KeyLocks; leaseQueue: KeyLocks }>();

/** This process's PID namespace ("0" when it cannot be read: then no owner can be told dead). */
function pidNamespace(): string {
  try {
    return readlinkSync("/proc/self/ns/pid").replace(/\D/g, "") || "0";
  } catch {
    return "0";
  }
}
const PID_NAMESPACE = pidNamespace();

const HOST = os.hostname().replace(/[^A-Za-z0-9.]/g, "_");
/** Who is writing: host, PID namespace and PID together name one live process. */
export const TEMP_PREFIX = `${HOST}-${PID_NAMESPACE}-`;
export const TEMP_OWNER = `${TEMP_PREFIX}${process.pid}`;
const TEMP_NAME = /^([A-Za-z0-9._]+-\d+-)(\d+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Who wrote a temp file, from its name: undefined for a name this store
 * never makes (which it must then leave alone). `gone` is true only when the
 * owner is a process of this host and PID namespace that no longer runs.
 */
export function tempOwner(name: string): { owner: string; gone: boolean } | undefined {
  const match = TEMP_NAME.exec(name);
  if (!match) return undefined;
  const [, prefix = "", pid = ""] = match;
  return { owner: `${prefix}${pid}`, gone: ownerGone(`${prefix}${pid}`) };
}

/** Whether `owner` (a `<host>-<pid namespace>-<pid>` name) is a process of ours that has exited. */
export function ownerGone(owner: string): boolean {
  // Another host or namespace, or ours unknown (two containers of one hostname would look alike): cannot tell.
  if (PID_NAMESPACE === "0" || !owner.startsWith(TEMP_PREFIX)) return false;
  const pid = Number(owner.slice(TEMP_PREFIX.length));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) !== "EPERM"; // EPERM: alive, someone else's
  }
}

/** A version id: commit time first, so names sort by age, then the write's UUID. */
export function versionName(mtime: number, uuid: string): string {
  return `${mtime.toString().padStart(15, "0")}-${uuid}`;
}

/** The UUID part of a version id: chosen when the write starts, before its commit time. */
export function versionUuid(version: string): string {
  return version.slice(16);
}

/** The commit time encoded in a version id (NaN if the name is not a version). */
export function versionTime(version: string): number {
  return /^\d{15}-[0-9a-f-]{36}$/.test(version) ? Number(version.slice(0, 15)) : Number.NaN;
}

function rotation(key: string, drives: number): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) % drives;
}
