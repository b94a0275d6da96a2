/**
 * File access on the drives, which other pods (and workflow authors, through
 * shared volumes) can write to. What the store opens is always a regular
 * file, reached without following a link in its last component, and opened
 * without blocking (openRegular, shared with Save's walk): a FIFO planted
 * where a shard, marker or lease belongs would otherwise hold a libuv
 * thread forever, and sixteen of them stall every call of the process. Folders the store creates below a drive's
 * `objects/` are checked not to be links, so a key never leads outside it.
 */
import { lstat, mkdir } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "../../src/errors.ts";
import { openRegular } from "../../src/local-paths.ts";

/** Reads a small regular file (a marker, a lease) whole, up to `maxBytes`. */
export async function readSmallFile(file: string, maxBytes = 64 * 1024): Promise<string> {
  const handle = await openRegular(file);
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.toString("utf8", 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Makes `folder` and its parents down from `base`, which must exist already
 * (it is never created). An existing level that is a link, not a folder, is
 * refused: it would lead the key outside the drive.
 */
export async function mkdirBelow(base: string, folder: string): Promise<void> {
  let current = base;
  for (const segment of path.relative(base, folder).split(path.sep)) {
    current = path.join(current, segment);
    try {
      await mkdir(current);
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
      const info = await lstat(current);
      if (!info.isDirectory())
        throw Object.assign(new Error(`${current} is not a folder (a link?)`), { code: "ENOTDIR" });
    }
  }
}

/** Whether every level from `base` down to `folder` is a real folder (no links), as far as it exists. */
export async function folderIsOurs(base: string, folder: string): Promise<boolean> {
  let current = base;
  for (const segment of path.relative(base, folder).split(path.sep)) {
    current = path.join(current, segment);
    const info = await lstat(current).catch(() => undefined);
    if (!info) return true; // nothing further down: nothing to follow
    if (!info.isDirectory()) return false;
  }
  return true;
}
