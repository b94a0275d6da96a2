/**
 * Healing, as MinIO heals an object: find the version with a read quorum,
 * read and verify every shard of every block, rebuild the missing, corrupt
 * or misplaced shards from k good ones into temp files, and rename them into
 * place under the key's commit lease, provided the object was not rewritten
 * meanwhile; then remove files of older versions and of unfinished writes.
 * Leftovers of a delete made while drives were away are purged: with drive
 * identity (identity.ts) an empty drive in sync is real evidence of a delete,
 * and a replaced one is not counted. Also removes temp files of writers
 * that died, and nothing else.
 */
import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { HealResult, HealSummary } from "../../src/driver.ts";
import { DataLossError, NotFoundError } from "../../src/errors.ts";
import { blockHasher } from "./bitrot.ts";
import { publish, removeOlderVersions } from "./commit.ts";
import { pruneEmptyParents } from "./delete.ts";
import { attachDrives } from "./identity.ts";
import { type DriveSet, tempOwner, versionUuid } from "./layout.ts";
import { sweepLeases, withLease } from "./lease.ts";
import { listKeys } from "./listing.ts";
import { LeftoversError, type OpenObject, openObject, resolveObject } from "./resolve.ts";
import {
  appendShardBlock,
  dropTarget,
  liveTargets,
  onEachLive,
  openShardFile,
  removeShardFiles,
  type ShardTarget,
  shardOf,
  writeShardHeader,
} from "./shard-file.ts";
import { StripeReader } from "./shards.ts";

/** Files older than this are removed whoever of ours wrote them: no write stays silent so long. */
const ABANDONED_MS = 60 * 60 * 1000;

/** Drives a heal could not write to: a replaced drive stays flagged while any remain. */
export type HealFailures = Set<number>;

export async function healObject(
  drives: DriveSet,
  key: string,
  failures: HealFailures = new Set(),
): Promise<HealResult> {
  let object: OpenObject;
  /** Every drive that will not hold a good shard of the object after this heal keeps its healing flag. */
  const lacking = (holding: Iterable<number>) => {
    const has = new Set(holding);
    for (let d = 0; d < drives.count; d++) if (!has.has(d)) failures.add(d);
  };
  try {
    object = await resolveObject(drives, key);
  } catch (error) {
    if (error instanceof LeftoversError) return purgeLeftovers(drives, key);
    if (error instanceof NotFoundError) return { key, state: "gone", drives: [], detail: error.message };
    if (error instanceof DataLossError) {
      lacking([]);
      return { key, state: "unrecoverable", drives: [], detail: error.message };
    }
    throw error;
  }
  const targets: ShardTarget[] = [];
  try {
    const { dataShards: k, parityShards: m, version } = object.header;
    const reader = new StripeReader(key, object);
    // Pass 1: read and check every shard of every block.
    for (let b = 0; b < reader.geometry.blocks; b++) await reader.read(b, [], true);
    const rebuild = Array.from({ length: k + m }, (_, i) => i).filter(
      (i) => !object.shards.has(i) || reader.bad.has(i),
    );
    if (rebuild.length === 0) {
      const still = await withLease(drives, key, () =>
        whileCurrent(drives, key, version, (current) => cleanUp(drives, key, current)),
      );
      if (!still) return { key, state: "rewritten", drives: [] };
      lacking([...object.shards.values()].map((s) => s.drive));
      return { key, state: "healthy", drives: [] };
    }

    // Each rebuilt shard goes to its home drive unless that drive holds another good shard or is away.
    const holding = new Set(
      [...object.shards.values()].filter((s) => !reader.bad.has(s.header.index)).map((s) => s.drive),
    );
    const free = drives.online().filter((d) => !holding.has(d) && !object.offlineDrives.includes(d));
    for (const index of rebuild) {
      const home = drives.driveFor(key, index);
      const drive = free.includes(home) ? home : free[0];
      if (drive === undefined) break;
      free.splice(free.indexOf(drive), 1);
      const target: ShardTarget = { index, drive, temp: drives.tempPath(drive) };
      await openShardFile(drives, target).catch((error: unknown) => dropTarget(target, error)); // the others still heal
      targets.push(target);
    }
    const live = () => liveTargets(targets);
    const hashers = new Map(
      targets.map((t) => [t.index, blockHasher(object.header.format, versionUuid(version), t.index)]),
    );
    // Pass 2: rebuild the shards block by block from k good ones.
    for (let b = 0; b < reader.geometry.blocks; b++) {
      const stripe = await reader.read(
        b,
        live().map((t) => t.index),
      );
      await onEachLive(targets, async (t, handle) => {
        const shard = shardOf(stripe, k, t.index, stripe.shardSize);
        await appendShardBlock(
          handle,
          (hashers.get(t.index) as ReturnType<typeof blockHasher>)(b, shard),
          shard,
          reader.geometry.offset(b),
        );
      });
    }
    await onEachLive(targets, (t, handle) => writeShardHeader(handle, { ...object.header, index: t.index }));
    // Rewritten meanwhile: the new version stands, and nothing of this heal is published.
    const committed = await withLease(drives, key, (lease) =>
      whileCurrent(drives, key, version, async (current) => {
        await lease.assertHeld();
        for (const t of live())
          await publish(drives, t.drive, t.temp, drives.shardPath(t.drive, key, version)).catch((error: unknown) =>
            dropTarget(t, error),
          );
        await cleanUp(drives, key, current);
      }),
    );
    if (!committed) return { key, state: "rewritten", drives: [] };
    lacking([...holding, ...live().map((t) => t.drive)]);
    const unwritten = targets.filter((t) => t.failure).map((t) => t.drive);
    const notes = [...reader.bad.values()];
    if (object.offlineDrives.length > 0) notes.push(`drives ${object.offlineDrives.join(", ")} offline`);
    if (unwritten.length > 0) notes.push(`could not write rebuilt shards to drives ${unwritten.join(", ")}`);
    if (rebuild.length > targets.length) notes.push(`no drive free for ${rebuild.length - targets.length} shards`);
    // Nothing rewritten: the object still reads (k good shards) but is as degraded as before.
    const state = live().length > 0 ? "healed" : "degraded";
    return { key, state, drives: live().map((t) => t.drive), detail: notes.join("; ") || undefined };
  } catch (error) {
    if (error instanceof DataLossError) {
      lacking([]);
      return { key, state: "unrecoverable", drives: [], detail: error.message };
    }
    throw error;
  } finally {
    await object.close();
    await removeShardFiles(targets);
  }
}

/** Removes what a delete made while drives were away left behind, if that is still all there is. */
async function purgeLeftovers(drives: DriveSet, key: string): Promise<HealResult> {
  return withLease(drives, key, async () => {
    // Destroying on evidence: look at the drives afresh, so a drive replaced since the
    // last look is known as such (healing) and does not vouch for the object's absence.
    await attachDrives(drives);
    try {
      const current = await openObject(drives, key);
      await current.close();
      return { key, state: "healthy", drives: [] }; // written again meanwhile
    } catch (error) {
      if (!(error instanceof LeftoversError)) throw error;
      const ours = error.leftovers.filter((l) => !Number.isNaN(l.time)); // version files, nothing else
      for (const leftover of ours) {
        await rm(leftover.path, { force: true }).catch(() => {});
        await pruneEmptyParents(drives.objectsDir(leftover.drive), leftover.path);
      }
      const where = [...new Set(ours.map((l) => l.drive))];
      return {
        key,
        state: "gone",
        drives: where,
        detail: `removed ${ours.length} shard files left by a delete made while drives were away`,
      };
    }
  });
}

/** Under the lease: runs `work` if `version` is still the object's; false if it was rewritten. */
async function whileCurrent(
  drives: DriveSet,
  key: string,
  version: string,
  work: (current: OpenObject) => Promise<void>,
): Promise<boolean> {
  const current = await openObject(drives, key).catch(() => undefined);
  try {
    if (current?.header.version !== version) return false;
    await work(current);
    return true;
  } finally {
    await current?.close();
  }
}

/**
 * Removes, around the current version (looked at under the lease, so no
 * cooperating writer is half way through a commit), the shard files of older
 * versions, and those of newer versions without a quorum that were last
 * written over an hour ago by the filesystem's clock: commits that died.
 */
async function cleanUp(drives: DriveSet, key: string, current: OpenObject): Promise<void> {
  for (const d of drives.online()) await removeOlderVersions(drives, d, key, current.header.mtime);
  for (const other of current.others.filter((o) => o.time > current.header.mtime)) {
    const info = await lstat(other.path).catch(() => undefined);
    if (info?.isFile() && Date.now() - info.mtimeMs > ABANDONED_MS)
      await rm(other.path, { force: true }).catch(() => {});
  }
}

/**
 * Heals every object on the drives (present on at least one) and removes
 * abandoned temp files. Drives that do not hold every object afterwards are
 * added to `failures`. `stop` ends the pass early (shutdown): every drive is
 * then in `failures`, as it is when some drive could not be listed.
 */
export async function healAll(
  drives: DriveSet,
  failures: HealFailures = new Set(),
  stop: () => boolean = () => false,
): Promise<HealSummary> {
  const summary: HealSummary = {
    objects: 0,
    healthy: 0,
    healed: 0,
    unrecoverable: 0,
    tempFilesRemoved: await sweepTemps(drives),
    results: [],
  };
  const everyDrive = () => {
    for (let d = 0; d < drives.count; d++) failures.add(d);
  };
  for await (const { key } of listKeys(drives, "", drives.count, everyDrive)) {
    if (stop()) {
      everyDrive();
      break;
    }
    const result = await healObject(drives, key, failures).catch((error: unknown): HealResult => {
      everyDrive(); // cannot tell which drive: keep every flag
      return { key, state: "unrecoverable", drives: [], detail: (error as Error).message };
    });
    summary.objects++;
    if (result.state === "healthy") summary.healthy++;
    else summary.results.push(result);
    if (result.state === "healed") summary.healed++;
    if (result.state === "unrecoverable") summary.unrecoverable++;
  }
  return summary;
}

/**
 * Removes temp files whose writer is gone: named as this store names them,
 * on a drive carrying this store's marker, and written by a process of our
 * host and PID namespace that no longer runs, or older than an hour. Nothing
 * else in `tmp/` is touched (a drive of `/` has the system's /tmp there).
 * Leases of dead processes go too (lease.ts). Returns how many files went.
 */
export async function sweepTemps(drives: DriveSet): Promise<number> {
  let removed = 0;
  for (const d of drives.online()) {
    for (const name of await readdir(drives.tmpDir(d)).catch(() => [] as string[])) {
      const owner = tempOwner(name);
      if (!owner) continue;
      const file = path.join(drives.tmpDir(d), name);
      const info = await lstat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      if (owner.gone || Date.now() - info.mtimeMs > ABANDONED_MS) {
        await rm(file, { force: true }).then(
          () => removed++,
          () => {},
        );
      }
    }
  }
  return removed + (await sweepLeases(drives));
}
