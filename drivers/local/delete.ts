/**
 * Deleting an object: every version file of the key goes from every online
 * drive, under the key's commit lease. Like a write, a delete needs a write
 * quorum of drives to confirm it, or a drive that was away could bring the
 * object back; drives that were away keep leftovers that reads ignore and
 * healing purges (heal.ts). Only files the store names are removed.
 */
import { readdir, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { errnoCode, UnavailableError } from "../../src/errors.ts";
import { folderIsOurs } from "./files.ts";
import { type DriveSet, versionTime } from "./layout.ts";
import { withLease } from "./lease.ts";

export async function deleteObject(drives: DriveSet, key: string, quorum: number): Promise<void> {
  const failures: string[] = [];
  await withLease(drives, key, () =>
    Promise.all(
      drives.roots.map(async (root, d) => {
        try {
          if (!drives.isOnline(d)) throw new Error("offline");
          if (!(await stat(root)).isDirectory()) throw new Error("not a folder");
          const versions = drives.versionsDir(d, key);
          if (!(await folderIsOurs(drives.objectsDir(d), versions)))
            throw new Error(`${versions} leads through a link`);
          const names = await readdir(versions).catch((error: unknown) => {
            if (errnoCode(error) === "ENOENT" || errnoCode(error) === "ENOTDIR") return [] as string[];
            throw error;
          });
          for (const name of names) {
            if (!Number.isNaN(versionTime(name))) await rm(path.join(versions, name), { force: true });
          }
          await pruneEmptyParents(drives.objectsDir(d), path.join(versions, "x"));
        } catch (error) {
          failures.push(`drive ${d}: ${(error as Error).message}`);
        }
      }),
    ),
  );
  const confirmed = drives.count - failures.length;
  if (confirmed < quorum) {
    throw new UnavailableError(
      `cannot delete '${key}': ${confirmed} of ${drives.count} drives confirmed, ${quorum} needed (${failures.join("; ")})`,
    );
  }
}

/** Removes now-empty folders from `file`'s parent up to (not including) `objectsDir`. */
export async function pruneEmptyParents(objectsDir: string, file: string): Promise<void> {
  for (let dir = path.dirname(file); dir !== objectsDir && dir.startsWith(objectsDir); dir = path.dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (another object lives here, or files not ours), already gone, or in use: stop
    }
  }
}
