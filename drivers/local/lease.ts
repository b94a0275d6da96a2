/**
 * Commit leases: mutual exclusion per key across every process that uses the
 * same drives (each workflow pod's sidecar and argo-server's, over a
 * ReadWriteMany volume), surviving a holder that is killed.
 *
 * A lease is a small file `locks/<sha256(key)>` created with O_EXCL on each
 * online drive in drive order; holding it on a majority of all drives is
 * holding the lease, so two processes that disagree about which drives are
 * online still cannot both hold it. The file names its owner
 * (`<host>-<pid namespace>-<pid>`), a token and a renewal count, and the holder
 * rewrites it every ttl/3 while it holds it. A waiter breaks a lease when
 * its owner is a process of its own host that has exited, or when it has
 * watched the file go unrenewed for a whole ttl on its own clock (so clock
 * skew between pods does not matter). Breaking renames the file aside and
 * checks it took the stale one; a live lease taken by mistake is put back.
 *
 * O_EXCL creation and rename are atomic on local filesystems and on NFS v4
 * and CephFS, which is all this needs. A holder that stalls for longer than
 * a ttl (a hung NFS server) can lose its lease; it finds out at its next
 * renewal or `assertHeld()`, and commits check before they publish.
 */
import { createHash, randomUUID } from "node:crypto";
import { link, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { backoffMs, pause } from "../../src/concurrency.ts";
import { errnoCode, UnavailableError } from "../../src/errors.ts";
import { type DriveSet, ownerGone, TEMP_OWNER } from "./layout.ts";
import {
  type LeaseContent,
  parseLease as parse,
  readLeaseFile,
  removeIfOurs,
  rewriteIfOurs,
  writeExclusive,
} from "./lease-file.ts";

/** The lease could not be taken: held by another process all along, or too few drives online. */
export class LeaseUnavailableError extends UnavailableError {}

/** A held lease; `assertHeld` checks the lease files now and throws if another process has taken it. */
export interface Lease {
  assertHeld(): Promise<void>;
}

/** How long a waiter keeps trying before it reports the key as busy. */
const MAX_WAIT_FACTOR = 4;

/** Tokens of the leases this process holds now: a lease file of ours with another token is a leftover. */
const liveTokens = new Set<string>();
/** When this process first saw each lease file with its current content: the clock for "not renewed". */
const sightings = new Map<string, { content: string; since: number }>();

/**
 * Runs `work` holding the commit lease of `key`, then this process's lock of
 * it. Waits while another process holds the lease (this process's other
 * committers queue behind us; readers do not wait until `work` runs);
 * LeaseUnavailableError if it stays held, renewed, for MAX_WAIT_FACTOR ttls.
 */
export async function withLease<T>(
  drives: DriveSet,
  key: string,
  work: (lease: Lease) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  return (await holding(drives, key, work, signal, true)) as T;
}

/** As withLease, but if another process holds the lease, returns `busy` at once instead of waiting. */
export async function withLeaseIfFree<T>(
  drives: DriveSet,
  key: string,
  work: (lease: Lease) => Promise<T>,
): Promise<T | "busy"> {
  return holding(drives, key, work, undefined, false);
}

async function holding<T>(
  drives: DriveSet,
  key: string,
  work: (lease: Lease) => Promise<T>,
  signal: AbortSignal | undefined,
  wait: boolean,
): Promise<T | "busy"> {
  return drives.leaseQueue.with(key, async () => {
    const held = await acquire(drives, key, signal, wait);
    if (!held) return "busy" as const;
    try {
      return await drives.locks.with(key, () => work(held));
    } finally {
      await held.release();
    }
  });
}

interface HeldLease extends Lease {
  release(): Promise<void>;
}

async function acquire(
  drives: DriveSet,
  key: string,
  signal: AbortSignal | undefined,
  wait: boolean,
): Promise<HeldLease | undefined> {
  const name = createHash("sha256").update(key).digest("hex");
  const quorum = Math.floor(drives.count / 2) + 1;
  // A monotonic clock: a wall clock stepped forward must not make a live lease look stale.
  const deadline = performance.now() + MAX_WAIT_FACTOR * drives.leaseTtlMs;
  let lastHolder = "";
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted(); // a cancelled call stops waiting
    const content: LeaseContent = { owner: TEMP_OWNER, token: randomUUID(), renewals: 0, ttlMs: drives.leaseTtlMs };
    liveTokens.add(content.token); // before its first file exists: our own other callers must not take it for a leftover
    const files: string[] = [];
    const unusable: string[] = [];
    let contended = false;
    for (const d of drives.online()) {
      const file = path.join(drives.locksDir(d), name);
      const outcome = await tryTake(file, content);
      if (outcome === "taken") files.push(file);
      else if (typeof outcome === "string") unusable.push(`drive ${d}: ${outcome}`);
      else {
        lastHolder = outcome.owner;
        contended = true;
        break; // held by someone else: stop here (drive order keeps two takers from deadlocking)
      }
    }
    if (files.length >= quorum) return hold(files, content, key, quorum);
    await Promise.all(files.map((file) => removeIfOurs(file, content.token)));
    liveTokens.delete(content.token);
    if (!contended) {
      const offline = drives.count - drives.online().length;
      throw new LeaseUnavailableError(
        `cannot lock '${key}': ${files.length} of ${drives.count} drives usable, ${quorum} needed (${[...unusable, ...(offline > 0 ? [`${offline} offline`] : [])].join("; ")})`,
      );
    }
    if (!wait) return undefined;
    if (performance.now() > deadline) {
      throw new LeaseUnavailableError(
        `'${key}' is being written by another process (${lastHolder || "unknown"}) and stayed locked; try again`,
      );
    }
    await pause(backoffMs(attempt, 5, 200), signal); // short: another process's commit takes milliseconds
  }
}

/** Creates the lease file, or finds who holds it, breaking it if stale. */
async function tryTake(file: string, content: LeaseContent): Promise<"taken" | { owner: string } | string> {
  for (let round = 0; round < 2; round++) {
    try {
      await writeExclusive(file, content);
      sightings.delete(file);
      return "taken";
    } catch (error) {
      // No locks/ folder (the drive went away), an I/O error: this drive does not count.
      if (errnoCode(error) !== "EEXIST") return errnoCode(error) ?? (error as Error).message;
    }
    let seen: string;
    try {
      seen = await readLeaseFile(file);
    } catch (error) {
      if (errnoCode(error) === "ENOENT") continue; // released meanwhile: try again
      return errnoCode(error) ?? (error as Error).message; // a FIFO or worse where a lease belongs: the drive does not count
    }
    const holder = parse(seen);
    if (!isStale(file, seen, holder)) return { owner: holder?.owner ?? "unknown" };
    await breakLease(file, seen);
  }
  return { owner: "unknown" };
}

function isStale(file: string, seen: string, holder: LeaseContent | undefined): boolean {
  if (holder && holder.owner === TEMP_OWNER && !liveTokens.has(holder.token)) return true; // ours, left by a failed release
  if (holder && ownerGone(holder.owner)) return true;
  const now = performance.now();
  const sighting = sightings.get(file);
  if (!sighting || sighting.content !== seen) {
    sightings.set(file, { content: seen, since: now });
    return false;
  }
  return now - sighting.since > (holder?.ttlMs ?? 30_000);
}

/**
 * Moves a stale lease aside; if what moved was not the stale one (renewed or
 * replaced meanwhile), puts it back. Returns whether the stale one went.
 */
async function breakLease(file: string, stale: string): Promise<boolean> {
  const aside = `${file}.broken-${randomUUID()}`;
  try {
    await rename(file, aside);
  } catch {
    return false; // gone already
  }
  const moved = await readLeaseFile(aside).catch(() => undefined);
  if (moved !== stale) await link(aside, file).catch(() => {}); // someone else's live lease: restore it
  await unlink(aside).catch(() => {});
  sightings.delete(file);
  return moved === stale;
}

function hold(files: string[], content: LeaseContent, key: string, quorum: number): HeldLease {
  let lost: string | undefined;
  let renewal: Promise<void> | undefined;
  /** Rewrites our lease files; a file that is no longer ours (broken and re-taken) does not count. */
  const renew = () =>
    (renewal ??= (async () => {
      content.renewals++;
      let kept = 0;
      for (const file of files) if (await rewriteIfOurs(file, content)) kept++;
      if (kept < quorum) lost ??= "another process took it over";
    })().finally(() => (renewal = undefined)));
  const timer = setInterval(() => void renew(), Math.max(50, content.ttlMs / 3));
  timer.unref();
  return {
    async assertHeld() {
      await renewal;
      await renew(); // look now, not at the last renewal: the lease may have been broken since
      if (lost) throw new UnavailableError(`lost the lock on '${key}' (${lost}); nothing more is committed`);
    },
    async release() {
      clearInterval(timer);
      await renewal;
      await Promise.all(files.map((file) => removeIfOurs(file, content.token)));
      liveTokens.delete(content.token);
    },
  };
}

/**
 * Removes lease files left by processes of this host that died holding them
 * (the key may never be written again), and files a break left half done.
 * Returns how many went.
 */
export async function sweepLeases(drives: DriveSet): Promise<number> {
  let removed = 0;
  for (const d of drives.online()) {
    for (const name of await readdir(drives.locksDir(d)).catch(() => [] as string[])) {
      const file = path.join(drives.locksDir(d), name);
      if (/^[0-9a-f]{64}\.broken-[0-9a-f-]{36}$/.test(name)) {
        // Left by a breaker that died between its rename and its unlink: old, so not in use.
        const info = await stat(file).catch(() => undefined);
        if (info && Date.now() - info.mtimeMs > 10 * 60_000)
          await unlink(file).then(
            () => removed++,
            () => {},
          );
        continue;
      }
      if (!/^[0-9a-f]{64}$/.test(name)) continue; // not ours
      const seen = await readLeaseFile(file).catch(() => undefined);
      const holder = seen === undefined ? undefined : parse(seen);
      if (seen === undefined || !holder || !ownerGone(holder.owner)) continue;
      if (await breakLease(file, seen)) removed++;
    }
  }
  return removed;
}
