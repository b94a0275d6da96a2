/**
 * Where a Load writes: a file or folder tree at exactly the request's path,
 * written beside it and renamed into place whole, as Argo's own drivers
 * replace what is there.
 *
 * The destination's folder is opened once and checked against the
 * PathPolicy where it really is; everything is then created through its
 * descriptor, new folders with O_NOFOLLOW, so a link planted on the way
 * cannot redirect a write. An existing destination (a `<path>.tmp` a
 * failed attempt left on a persistent volume) is replaced atomically: a file
 * by rename over it; a folder (or a file where a folder goes) is moved aside,
 * the new one renamed in, then the old one removed. Never merged.
 */
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readdir, readlink, rename, rmdir, unlink } from "node:fs/promises";
import path from "node:path";
import { errnoCode, InvalidRequestError, PermissionDeniedError } from "./errors.ts";
import { inside, localFsError, openFolder, type PathPolicy } from "./local-paths.ts";
import { clip } from "./text.ts";

/** A Load in progress: files go under a staging name beside the destination until `commit`. */
export interface LoadTarget {
  /** Opens a new file for the object (`relative` empty: the artifact is one file). */
  createFile(relative: string): Promise<FileHandle>;
  /** Puts the staged artifact at the destination, replacing what was there. */
  commit(): Promise<void>;
  /** Removes whatever was staged (after a failure, or after commit: a no-op). */
  discard(): Promise<void>;
}

export async function openLoadTarget(spelled: string, policy: PathPolicy): Promise<LoadTarget> {
  const what = `the Load path ${clip(spelled)}`;
  const name = path.basename(spelled);
  const parentPath = path.dirname(spelled);
  if (name === "" || name === "." || name === "..") throw new InvalidRequestError(`${what} names no file`);
  policy.checkSpelled("the Load path", spelled);
  const parent = await openFolder(parentPath).catch((error: unknown) => {
    if (errnoCode(error) === "ELOOP")
      throw new InvalidRequestError(`${what}: its folder is a symbolic link; refusing to follow it`);
    throw localFsError(error, `${what}: its folder ${clip(parentPath)}`);
  });
  try {
    await policy.check(parent, "the Load path's folder", parentPath);
    const dest = path.join(await readlink(`/proc/self/fd/${parent.fd}`), name);
    const holds = policy.refusedBelow(dest);
    if (holds)
      throw new PermissionDeniedError(`${what} holds ${holds}, which the plugin never writes; it will not replace it`);
    await removeStaleSiblings(parent);
  } catch (error) {
    await parent.close();
    throw error;
  }
  // Short fixed-length names beside the destination, so a destination name near the 255-byte
  // limit still fits, and leftovers of a killed Load are recognised (removeStaleSiblings).
  const staging = `${STAGING_PREFIX}${randomUUID().slice(0, 8)}`;
  let kind: "file" | "folder" | undefined;
  let stagingFolder: Promise<void> | undefined;
  let done = false;

  /** Opens (making if needed) each folder of `relative` below the staging folder, never through a link. */
  const folderFor = async (relative: string): Promise<FileHandle> => {
    let current = await openFolder(inside(parent, staging));
    for (const segment of relative.split("/").slice(0, -1)) {
      try {
        await mkdir(inside(current, segment)).catch((error: unknown) => {
          if (errnoCode(error) !== "EEXIST") throw error;
        });
        const next = await openFolder(inside(current, segment));
        await current.close();
        current = next;
      } catch (error) {
        await current.close();
        throw error;
      }
    }
    return current;
  };

  // Read and write: the written file is read back to check its digest (file-sink.ts).
  const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  return {
    async createFile(relative) {
      try {
        if (relative === "") {
          kind = "file";
          return await open(inside(parent, staging), flags, 0o644);
        }
        // Files of a directory are created concurrently: every call waits for the one mkdir.
        kind = "folder";
        stagingFolder ??= mkdir(inside(parent, staging), 0o755).then(() => {});
        await stagingFolder;
        const folder = await folderFor(relative);
        try {
          return await open(inside(folder, path.posix.basename(relative)), flags, 0o644);
        } finally {
          await folder.close();
        }
      } catch (error) {
        throw localFsError(error, what);
      }
    },

    async commit() {
      try {
        await replace(parent, staging, name);
        done = true;
      } catch (error) {
        throw localFsError(error, what);
      }
    },

    async discard() {
      try {
        // Best effort: a failure here must not hide the error that made us discard.
        if (!done && kind) await removeTree(parent, staging).catch(() => {});
      } finally {
        await parent.close();
      }
    },
  };
}

/** Renames `staging` to `name` in the open folder `parent`, replacing whatever `name` is. */
async function replace(parent: FileHandle, staging: string, name: string): Promise<void> {
  try {
    await rename(inside(parent, staging), inside(parent, name)); // a new name, or a file replaced atomically
    return;
  } catch (error) {
    const code = errnoCode(error) ?? "";
    if (!["EISDIR", "ENOTDIR", "ENOTEMPTY", "EEXIST"].includes(code)) throw error;
  }
  // A folder is there (or a file where the new folder goes): set it aside, put ours in, then drop it.
  const aside = `${ASIDE_PREFIX}${randomUUID().slice(0, 8)}`;
  await rename(inside(parent, name), inside(parent, aside));
  try {
    await rename(inside(parent, staging), inside(parent, name));
  } catch (error) {
    await rename(inside(parent, aside), inside(parent, name)).catch(() => {}); // put the old one back
    throw error;
  }
  // The new artifact is in place: removing the old one is best effort (a later Load sweeps it).
  await removeTree(parent, aside).catch(() => {});
}

const STAGING_PREFIX = ".multistore-partial-";
const ASIDE_PREFIX = ".multistore-old-";
/**
 * Leftovers untouched for this long are of a Load that was killed, not of one in progress: a
 * day, because a folder's own time does not move while files deep inside it are being written,
 * and another plugin container may be loading beside us into the same folder.
 */
const STALE_MS = 24 * 3600_000;

/** Removes what killed Loads left beside their destinations in this folder (Argo SIGKILLs init containers). */
async function removeStaleSiblings(parent: FileHandle): Promise<void> {
  for (const name of await readdir(inside(parent, ".")).catch(() => [] as string[])) {
    if (!name.startsWith(STAGING_PREFIX) && !name.startsWith(ASIDE_PREFIX)) continue;
    const info = await lstat(inside(parent, name)).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_MS) await removeTree(parent, name).catch(() => {});
  }
}

/**
 * Removes `name` in the open folder `dir`, and everything under it, through
 * folder descriptors: a folder swapped for a link meanwhile is unlinked as a
 * link, never followed, and no other filesystem is entered.
 */
async function removeTree(dir: FileHandle, name: string): Promise<void> {
  const info = await lstat(inside(dir, name));
  if (!info.isDirectory()) return unlink(inside(dir, name));
  const folder = await openFolder(inside(dir, name)).catch((error: unknown) => {
    if (["ELOOP", "ENOTDIR"].includes(errnoCode(error) ?? "")) return undefined;
    throw error;
  });
  if (!folder) return unlink(inside(dir, name)); // became a link since the lstat
  try {
    const own = await folder.stat();
    if (own.dev !== (await dir.stat()).dev) return; // a mount point: not ours to empty
    for (const entry of await readdir(inside(folder, "."))) await removeTree(folder, entry);
  } finally {
    await folder.close();
  }
  await rmdir(inside(dir, name));
}
