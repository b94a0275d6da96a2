/**
 * Finding an object's readable version: every drive's shard files of the key
 * are opened and the newest version that k of them agree on is chosen. A
 * look that finds none tells a key in flux (another process committing or
 * deleting it) from one that is gone, unreachable or damaged.
 */
import { type FileHandle, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { DataLossError, errnoCode, NotFoundError, UnavailableError } from "../../src/errors.ts";
import { openRegular } from "../../src/local-paths.ts";
import { type BlockHasher, blockHasher } from "./bitrot.ts";
import { decodeHeader, HEADER_BYTES, type ShardHeader } from "./format.ts";
import { type DriveSet, versionTime, versionUuid } from "./layout.ts";
import { LeaseUnavailableError, withLease } from "./lease.ts";

/** One drive's shard file of the chosen version, open for reading. */
export interface OpenShard {
  drive: number;
  handle: FileHandle;
  header: ShardHeader;
  /** Computes this shard file's block hashes. */
  hash: BlockHasher;
}

/** A shard file that is not part of the chosen version (older, unfinished or damaged). */
export interface OtherShard {
  drive: number;
  path: string;
  /** Commit time from its name (NaN if the name is not a version). */
  time: number;
}

/** An object version with a read quorum of shard files open. */
export interface OpenObject {
  header: ShardHeader;
  /** By shard index. */
  shards: Map<number, OpenShard>;
  /** Reachable drives without a shard of this version (to heal). */
  staleDrives: number[];
  /** Drives whose root is missing: nothing can be done there until the volume is back. */
  offlineDrives: number[];
  /** Shard files of other versions, for heal to clean up. */
  others: OtherShard[];
  close(): Promise<void>;
}

interface DriveScan {
  drive: number;
  /**
   * `missing`: a drive in sync has no shard of the key (evidence it is not there);
   * `unvouched`: a drive being healed has none (no evidence); `offline`: not usable now;
   * `failed`: its folder could not be read.
   */
  state: "present" | "missing" | "unvouched" | "offline" | "failed";
  shards: OpenShard[];
  others: OtherShard[];
  /** Some shard file could not be opened or read now: the drive may hold more than we saw. */
  unreadable?: boolean;
  error?: unknown;
}

/** Opens every shard file of `key` on one drive, keeping those whose header reads. */
async function scanDrive(drives: DriveSet, key: string, drive: number): Promise<DriveScan> {
  const scan: DriveScan = { drive, state: "present", shards: [], others: [] };
  if (!drives.isOnline(drive)) return { ...scan, state: "offline" };
  const absent = drives.vouchesForAbsence(drive) ? "missing" : "unvouched";
  let names: string[];
  try {
    names = await readdir(drives.versionsDir(drive, key));
  } catch (error) {
    const code = errnoCode(error);
    if (code !== "ENOENT" && code !== "ENOTDIR") return { ...scan, state: "failed", error };
    // No folder for the key: absent, unless the drive itself went away since it was checked.
    const root = await stat(drives.roots[drive] as string).catch(() => undefined);
    return { ...scan, state: root?.isDirectory() ? absent : "offline" };
  }
  for (const name of names) {
    const file = path.join(drives.versionsDir(drive, key), name);
    let handle: FileHandle | undefined;
    try {
      handle = await openRegular(file);
      const bytes = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await handle.read(bytes, 0, HEADER_BYTES, 0);
      const header = decodeHeader(bytes.subarray(0, bytesRead), `object '${key}' on drive ${drive}`);
      if (header.version !== name || header.key !== key)
        throw new DataLossError(`${file}: header names another object`);
      scan.shards.push({
        drive,
        handle,
        header,
        hash: blockHasher(header.format, versionUuid(header.version), header.index),
      });
    } catch (error) {
      await handle?.close().catch(() => {});
      // A file that cannot be opened or read now (EACCES, EIO, ESTALE, EMFILE) makes the drive
      // unreachable for this key. A header that does not decode (or a FIFO) is damage, and a
      // file gone since the listing (another process's commit removing it) is a sign of flux:
      // both are kept as other files, which makes a look without a readable version look again.
      const code = errnoCode(error);
      if (code !== undefined && code !== "EFTYPE" && code !== "ENOENT") {
        scan.error ??= error;
        scan.unreadable = true;
      } else {
        scan.others.push({ drive, path: file, time: versionTime(name) });
      }
    }
  }
  if (scan.shards.length === 0 && scan.others.length === 0) scan.state = scan.unreadable ? "failed" : absent;
  return scan;
}

/** The object is not there, but shards of it are: what a delete made while drives were away left. */
export class LeftoversError extends NotFoundError {
  readonly leftovers: OtherShard[];
  constructor(message: string, leftovers: OtherShard[]) {
    super(message);
    this.leftovers = leftovers;
  }
}

/**
 * Opens the shard files of `key` on every drive and keeps those of the newest
 * version that has at least k of them (a read quorum). NotFoundError when
 * more than m drives in sync lack the object (LeftoversError when some
 * shards remain: leftovers of a delete made while drives were away);
 * UnavailableError when the drives that cannot be read now might hold
 * enough; DataLossError when it exists but too few shards agree.
 * One look, no retry: see resolveObject.
 */
export async function openObject(drives: DriveSet, key: string): Promise<OpenObject> {
  const scans = await Promise.all(drives.roots.map((_root, drive) => scanDrive(drives, key, drive)));
  const opened = scans.flatMap((s) => s.shards);
  const byVersion = new Map<string, OpenShard[]>();
  for (const shard of opened)
    byVersion.set(shard.header.version, [...(byVersion.get(shard.header.version) ?? []), shard]);
  const first = (group: OpenShard[]) => (group[0] as OpenShard).header;
  const quorate = [...byVersion.values()]
    .filter((group) => new Set(group.map((s) => s.header.index)).size >= first(group).dataShards)
    .sort((a, b) => first(b).mtime - first(a).mtime || (first(b).version < first(a).version ? -1 : 1));
  const chosen = quorate[0];
  const others = scans.flatMap((s) => s.others);
  for (const shard of opened) {
    if (chosen?.includes(shard)) continue;
    others.push({
      drive: shard.drive,
      path: drives.shardPath(shard.drive, key, shard.header.version),
      time: shard.header.mtime,
    });
    await shard.handle.close().catch(() => {});
  }
  if (!chosen) throw whyUnreadable(drives, key, scans, byVersion, others);
  const shards = new Map<number, OpenShard>();
  for (const shard of chosen) {
    if (shards.has(shard.header.index))
      await shard.handle.close().catch(() => {}); // a duplicate index (a copied shard file)
    else shards.set(shard.header.index, shard);
  }
  const holding = new Set([...shards.values()].map((s) => s.drive));
  const offline = scans.filter((s) => s.state === "offline").map((s) => s.drive);
  return {
    header: first(chosen),
    shards,
    staleDrives: scans.map((s) => s.drive).filter((d) => !holding.has(d) && !offline.includes(d)),
    offlineDrives: offline,
    others,
    close: async () => void (await Promise.all([...shards.values()].map((s) => s.handle.close().catch(() => {})))),
  };
}

/** The error for an object without a readable version: gone, unreachable for now, or damaged. */
function whyUnreadable(
  drives: DriveSet,
  key: string,
  scans: DriveScan[],
  byVersion: Map<string, OpenShard[]>,
  others: OtherShard[],
): Error {
  const headers = [...byVersion.values()].map((group) => (group[0] as OpenShard).header);
  const k = headers[0]?.dataShards ?? drives.dataShards;
  const vouchedMissing = scans.filter((s) => s.state === "missing").length;
  const unreachable = scans.filter((s) => s.state === "failed" || s.state === "offline" || s.unreadable);
  if (headers.length === 0 && others.length === 0 && (unreachable.length === 0 || vouchedMissing > drives.count - k)) {
    return new NotFoundError(`object '${key}' not found`);
  }
  if (vouchedMissing > drives.count - k) {
    // As MinIO: more drives in sync say "no such object" than the object could spare, so it
    // is gone; the shards left are what a delete made while drives were away could not reach.
    const holding = new Set(others.map((s) => s.drive)).size;
    return new LeftoversError(
      `object '${key}' not found (shards left on ${holding} of ${drives.count} drives, fewer than needed to read it)`,
      others,
    );
  }
  const best = Math.max(0, ...[...byVersion.values()].map((g) => new Set(g.map((s) => s.header.index)).size));
  // Two versions, or files of none, seen at once: perhaps a commit or delete of another
  // process caught half way (resolveObject looks again).
  const mixed = byVersion.size > 1 || others.some((o) => !Number.isNaN(o.time));
  if (best + unreachable.length >= k) {
    const reason = unreachable
      .map(
        (s) =>
          `drive ${s.drive}: ${s.state === "offline" ? offlineReason(drives, s.drive) : (s.error as Error).message}`,
      )
      .join("; ");
    return flux(
      new UnavailableError(
        `object '${key}' cannot be read now: ${best} matching shards of the ${k} needed are readable, and drives that might hold the rest cannot be read (${reason})`,
      ),
      mixed,
    );
  }
  return flux(
    new DataLossError(`object '${key}' cannot be read: found ${best} matching shards of the ${k} needed`),
    true,
  );
}

/** Errors of a look that may have caught another process half way: worth looking again. */
const inFlux = new WeakSet<Error>();
function flux<E extends Error>(error: E, mixed: boolean): E {
  if (mixed) inFlux.add(error);
  return error;
}

function offlineReason(drives: DriveSet, drive: number): string {
  const state = drives.states[drive];
  return state?.kind === "offline" ? state.reason : "went away";
}

/**
 * Opens `key` as openObject does, but tells a store in flux from a damaged
 * one. Another process may commit or delete the key while we look (its
 * renames land on one drive after another), so a look that finds no
 * readable version is retried, the last time under the key's commit lease,
 * when no cooperating writer can be half way through. Only then is the
 * object reported damaged or gone.
 */
export async function resolveObject(drives: DriveSet, key: string): Promise<OpenObject> {
  for (let attempt = 0; ; attempt++) {
    try {
      if (attempt < 2) return await drives.locks.with(key, () => openObject(drives, key));
      return await withLease(drives, key, () => openObject(drives, key)).catch((error: unknown) => {
        if (error instanceof LeaseUnavailableError) return openObject(drives, key); // cannot lock: one more plain look
        throw error;
      });
    } catch (error) {
      const again = error instanceof LeftoversError || (error instanceof Error && inFlux.has(error));
      if (!again || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10 * (attempt + 1)));
    }
  }
}
