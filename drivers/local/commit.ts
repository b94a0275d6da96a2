/**
 * Publishing a written version: its shard files are renamed in beside the
 * old version's (never over them), and only once a write quorum of drives
 * holds the new one do older versions go. Used by writes (writer.ts) and by
 * healing (heal.ts), always under the key's commit lease.
 */
import { readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "../../src/errors.ts";
import { folderIsOurs, mkdirBelow } from "./files.ts";
import { type DriveSet, versionTime } from "./layout.ts";

/** One drive's finished shard file, waiting in the drive's tmp folder. */
export interface ShardTemp {
  drive: number;
  temp: string;
  failure?: string;
}

/**
 * Renames every live temp to its place as `version` of `key`. If fewer than
 * `quorum` drives take it, the renamed files are removed again, the old
 * version stands and every target is marked failed; otherwise versions older
 * than `mtime` are removed from every online drive.
 */
export async function publishVersion(
  drives: DriveSet,
  key: string,
  version: string,
  mtime: number,
  targets: ShardTemp[],
  quorum: number,
): Promise<void> {
  const committed: ShardTemp[] = [];
  await Promise.all(
    targets
      .filter((t) => !t.failure)
      .map(async (t) => {
        try {
          await publish(drives, t.drive, t.temp, drives.shardPath(t.drive, key, version));
          committed.push(t);
        } catch (error) {
          t.failure ??= (error as Error).message;
        }
      }),
  );
  if (committed.length < quorum) {
    await Promise.all(
      committed.map((t) => rm(drives.shardPath(t.drive, key, version), { force: true }).catch(() => {})),
    );
    for (const t of committed) t.failure ??= "rolled back";
    return;
  }
  await Promise.all(drives.online().map((d) => removeOlderVersions(drives, d, key, mtime)));
}

/** Version times further ahead than this are not a pod's clock running fast: not ours, ignored. */
const IMPLAUSIBLY_LATE_MS = 366 * 24 * 3600_000;

/** The newest commit time of any version of `key` on the online drives (0 if none). */
export async function newestVersionTime(drives: DriveSet, key: string): Promise<number> {
  let newest = 0;
  const latest = Date.now() + IMPLAUSIBLY_LATE_MS;
  await Promise.all(
    drives.online().map(async (d) => {
      for (const name of await readdir(drives.versionsDir(d, key)).catch(() => [] as string[])) {
        const time = versionTime(name);
        if (time > newest && time <= latest) newest = time;
      }
    }),
  );
  return newest;
}

/**
 * Renames a finished shard file into place, making the key's folders below
 * the drive's `objects/` as needed, and never `objects/` or the drive: if
 * the drive went away (an unmounted volume), this fails and the drive does
 * not count. A folder on the way that is a link is refused (it would lead
 * outside the drive). Retries if a delete of a sibling prunes a folder meanwhile.
 */
export async function publish(drives: DriveSet, drive: number, temp: string, final: string): Promise<void> {
  const folder = path.dirname(final);
  for (let attempt = 0; ; attempt++) {
    try {
      if (!(await folderIsOurs(drives.objectsDir(drive), folder))) throw new Error(`${folder} leads through a link`);
      return await rename(temp, final);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT" || attempt >= 5) throw error;
    }
    try {
      await mkdirBelow(drives.objectsDir(drive), folder);
    } catch (error) {
      if (errnoCode(error) !== "ENOENT" || attempt >= 5) throw error; // pruned as we made it: again
    }
  }
}

/** Removes versions of `key` on `drive` committed before `mtime` (a newer one, committed since, stays). */
export async function removeOlderVersions(drives: DriveSet, drive: number, key: string, mtime: number): Promise<void> {
  const dir = drives.versionsDir(drive, key);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const time = versionTime(name);
    // Only names the store makes: anything else in the folder is not ours to delete.
    if (time < mtime) await rm(path.join(dir, name), { force: true }).catch(() => {});
  }
}
