/**
 * Listing across drives. Each drive is walked in the same deterministic order
 * (entries sorted within each folder, an object before what lies under it),
 * the walks are merged, and a key counts as present on as many drives as
 * hold a shard file for it. Memory stays bounded by one folder per level.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "../../src/errors.ts";
import { SHARD_DIR } from "./format.ts";
import { foldFsError } from "./fs-errors.ts";
import type { DriveSet } from "./layout.ts";

/**
 * Keys under `prefix` (a string prefix: `a/` does not match `ab/x`) with the
 * number of drives holding them. A drive that fails mid-walk counts as
 * holding nothing from then on; more than `tolerated` such drives fail the listing.
 * `onFailure` hears of each tolerated one (a heal pass then knows it saw less than all).
 */
export async function* listKeys(
  drives: DriveSet,
  prefix: string,
  tolerated = 0,
  onFailure: (error: unknown) => void = () => {},
): AsyncGenerator<{ key: string; drives: number }> {
  const failures: unknown[] = [];
  const walks = drives.online().map((d) => walk(drives, d, prefix)[Symbol.asyncIterator]());
  const next = async (i: number): Promise<IteratorResult<string>> => {
    try {
      return await (walks[i] as AsyncIterator<string>).next();
    } catch (error) {
      failures.push(error);
      if (failures.length > tolerated) throw error;
      onFailure(error);
      return { done: true, value: undefined };
    }
  };
  const heads = await Promise.all(walks.map((_w, i) => next(i)));
  for (;;) {
    let smallest: string | undefined;
    for (const head of heads)
      if (!head.done && (smallest === undefined || compareKeys(head.value, smallest) < 0)) smallest = head.value;
    if (smallest === undefined) return;
    let count = 0;
    await Promise.all(
      heads.map(async (head, i) => {
        if (!head.done && head.value === smallest) {
          count++;
          heads[i] = await next(i);
        }
      }),
    );
    yield { key: smallest, drives: count };
  }
}

/** Segment by segment, so a folder's own object sorts before its contents: the order of the walk. */
export function compareKeys(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as string) < (y[i] as string) ? -1 : 1;
  }
  return x.length - y.length;
}

/** Keys with a shard file on `drive` under `prefix`, in compareKeys order. */
async function* walk(drives: DriveSet, drive: number, prefix: string): AsyncGenerator<string> {
  const slash = prefix.lastIndexOf("/");
  const folderKey = prefix.slice(0, slash + 1);
  const namePrefix = prefix.slice(slash + 1);
  const folder = folderKey === "" ? drives.objectsDir(drive) : drives.objectDir(drive, folderKey.slice(0, -1));
  yield* walkFolder(folder, folderKey, namePrefix, true);
}

async function* walkFolder(
  folder: string,
  folderKey: string,
  namePrefix: string,
  top: boolean,
): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw foldFsError(error, folderKey);
  }
  // The folder's own object first (only below the top: the top folder is the prefix itself).
  if (!top && entries.some((e) => e.name === SHARD_DIR && e.isDirectory())) yield folderKey.slice(0, -1);
  const subfolders = entries
    .filter((e) => e.isDirectory() && e.name !== SHARD_DIR && e.name.startsWith(namePrefix)) // links are never followed
    .map((e) => e.name)
    .sort();
  for (const name of subfolders) yield* walkFolder(path.join(folder, name), `${folderKey}${name}/`, "", false);
}
