/**
 * Moving artifacts between the local filesystem and a driver, with the
 * semantics of Argo's built-in S3 driver: a key is an object, or a directory
 * of objects under `key/`. Everything streams; nothing is held whole in memory.
 */
import { randomUUID } from "node:crypto";
import { constants, createWriteStream } from "node:fs";
import { lstat, mkdir, open, opendir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { directoryTarGz } from "./archive.ts";
import { forEachConcurrently } from "./concurrency.ts";
import type { Driver } from "./driver.ts";
import { InvalidRequestError, NotFoundError } from "./errors.ts";
import { childKey, directoryPrefix, relativeToDirectory } from "./keys.ts";
import { FRAME_BYTES } from "./proto.ts";

/** Files moved at once within one directory artifact: enough to hide per-object latency. */
const DIRECTORY_CONCURRENCY = 4;

/** What a transfer moved, for the access log. */
export interface TransferStats {
  objects: number;
  bytes: number;
}

/** Opens `key` for streaming out: the object's bytes, or a tar.gz of the directory `key/`. */
export async function openArtifact(driver: Driver, key: string, signal?: AbortSignal): Promise<Readable> {
  try {
    return await driver.get(key, { signal });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    if (await isDirectory(driver, key)) return directoryTarGz(driver, key, { signal });
    throw new NotFoundError(`artifact '${key}' not found`, { cause: error });
  }
}

/** True if at least one object lies under `key/`. */
export async function isDirectory(driver: Driver, key: string): Promise<boolean> {
  for await (const _object of driver.list(directoryPrefix(key))) return true;
  return false;
}

/**
 * Writes the artifact `key` at exactly `dest`, which must not exist yet: a
 * file for an object, a folder tree for a directory. The artifact is written
 * beside `dest` and renamed into place once complete, so `dest` never holds a
 * partial artifact and a failure removes only what this call wrote.
 */
export async function loadToPath(driver: Driver, key: string, dest: string, signal?: AbortSignal): Promise<TransferStats> {
  const target = path.resolve(dest);
  if (await lstat(target).then(() => true, () => false)) {
    throw new InvalidRequestError(`the Load destination ${target} already exists`);
  }
  const staging = `${target}.partial-${randomUUID().slice(0, 8)}`;
  try {
    const stats = await loadInto(driver, key, staging, signal);
    await rename(staging, target);
    return stats;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function loadInto(driver: Driver, key: string, dest: string, signal?: AbortSignal): Promise<TransferStats> {
  try {
    const bytes = await download(await driver.get(key, { signal }), dest, signal);
    return { objects: 1, bytes };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const stats: TransferStats = { objects: 0, bytes: 0 };
  await forEachConcurrently(driver.list(directoryPrefix(key)), DIRECTORY_CONCURRENCY, async (object, taskSignal) => {
    const relative = relativeToDirectory(key, object.key);
    const file = insideFolder(dest, relative);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      stats.bytes += await download(await driver.get(object.key, { signal: taskSignal }), file, taskSignal);
    } catch (error) {
      // S3 allows objects `k/a` and `k/a/b` side by side; a filesystem tree cannot hold both.
      if (["EEXIST", "ENOTDIR", "EISDIR"].includes((error as NodeJS.ErrnoException).code ?? "")) {
        throw new InvalidRequestError(
          `cannot write '${key}' as a folder tree: '${relative}' collides with another object (storage can hold both 'x' and 'x/y'; a folder tree cannot)`,
          { cause: error },
        );
      }
      throw error;
    }
    stats.objects++;
  }, signal);
  if (stats.objects === 0) throw new NotFoundError(`artifact '${key}' not found`);
  return stats;
}

/**
 * Stores the file or directory at `source` as the artifact `key`: a file as
 * one object, a directory as one object per regular file at `key/<relative
 * path>`. Symbolic links are never followed: a link as `source` is refused,
 * links inside a directory are skipped. If a directory upload fails, the
 * objects it already wrote are deleted again.
 */
export async function saveFromPath(driver: Driver, key: string, source: string, signal?: AbortSignal): Promise<TransferStats> {
  const info = await lstat(source).catch((error: unknown) => {
    throw new InvalidRequestError(`cannot read the path to save, ${source}: ${(error as Error).message}`, { cause: error });
  });
  if (info.isSymbolicLink()) throw new InvalidRequestError(`the path to save, ${source}, is a symbolic link; refusing to follow it`);
  if (info.isFile()) {
    const file = await openRegularFile(source);
    if (!file) throw new InvalidRequestError(`the path to save, ${source}, changed while being opened`);
    await driver.put(key, file.stream, { signal, size: file.size });
    return { objects: 1, bytes: file.size };
  }
  if (!info.isDirectory()) throw new InvalidRequestError(`the path to save, ${source}, is neither a file nor a directory`);

  const written: string[] = [];
  const stats: TransferStats = { objects: 0, bytes: 0 };
  try {
    await forEachConcurrently(walkFiles(source, ""), DIRECTORY_CONCURRENCY, async (relative, taskSignal) => {
      const file = await openRegularFile(path.join(source, relative));
      if (!file) return; // replaced by a link or removed since the walk: skipped like any link
      const objectKey = childKey(key, relative);
      await driver.put(objectKey, file.stream, { signal: taskSignal, size: file.size });
      written.push(objectKey);
      stats.objects++;
      stats.bytes += file.size;
    }, signal);
    return stats;
  } catch (error) {
    await Promise.allSettled(written.map((objectKey) => driver.delete(objectKey)));
    throw error;
  }
}

async function download(source: Readable, file: string, signal?: AbortSignal): Promise<number> {
  const sink = createWriteStream(file, { flags: "wx", highWaterMark: FRAME_BYTES });
  await pipeline(source, sink, { signal });
  return sink.bytesWritten;
}

/** Opens `file` for reading without following a symlink; undefined if it is not a regular file. */
async function openRegularFile(file: string): Promise<{ stream: Readable; size: number } | undefined> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (["ELOOP", "ENOENT"].includes((error as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw error;
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    return undefined;
  }
  return { stream: handle.createReadStream({ highWaterMark: FRAME_BYTES }), size: info.size };
}

/** `folder/relative`, asserted not to escape `folder` (keys listed from storage are not trusted). */
function insideFolder(folder: string, relative: string): string {
  const root = path.resolve(folder);
  const file = path.resolve(root, relative);
  if (!file.startsWith(`${root}/`)) throw new InvalidRequestError(`object path '${relative}' escapes the destination folder`);
  return file;
}

/** Relative paths of the regular files under `root`, recursively; symlinks and special files are skipped. */
async function* walkFiles(root: string, relative: string): AsyncGenerator<string> {
  for await (const entry of await opendir(path.join(root, relative), { bufferSize: 256 })) {
    const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) yield* walkFiles(root, rel);
    else if (entry.isFile()) yield rel;
  }
}
