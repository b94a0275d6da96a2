/**
 * Moving artifacts between the local filesystem and a driver, with the
 * semantics of Argo's built-in S3 driver: a key is an object, or a directory
 * of objects under `key/`. Everything streams; nothing is held whole in memory.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, opendir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { directoryTarGz } from "./archive.ts";
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
 * Writes the artifact `key` at exactly `dest`: a file for an object, a folder
 * tree for a directory. On failure whatever was written at `dest` is removed.
 */
export async function loadToPath(driver: Driver, key: string, dest: string, signal?: AbortSignal): Promise<TransferStats> {
  try {
    try {
      const bytes = await download(await driver.get(key, { signal }), dest, signal);
      return { objects: 1, bytes };
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const stats: TransferStats = { objects: 0, bytes: 0 };
    const prefix = directoryPrefix(key);
    await forEachConcurrently(driver.list(prefix), DIRECTORY_CONCURRENCY, async (object) => {
      const file = insideFolder(dest, relativeToDirectory(key, object.key));
      await mkdir(path.dirname(file), { recursive: true });
      stats.bytes += await download(await driver.get(object.key, { signal }), file, signal);
      stats.objects++;
    });
    if (stats.objects === 0) throw new NotFoundError(`artifact '${key}' not found`);
    return stats;
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Stores the file or directory at `source` as the artifact `key`: a file as
 * one object, a directory as one object per regular file at `key/<relative
 * path>`. Symbolic links are skipped, never followed. If a directory upload
 * fails, the objects it already wrote are deleted again (best effort).
 */
export async function saveFromPath(driver: Driver, key: string, source: string, signal?: AbortSignal): Promise<TransferStats> {
  const info = await stat(source).catch((error: unknown) => {
    throw new InvalidRequestError(`cannot read the path to save, ${source}: ${(error as Error).message}`, { cause: error });
  });
  if (info.isFile()) {
    await driver.put(key, createReadStream(source, { highWaterMark: FRAME_BYTES }), { signal });
    return { objects: 1, bytes: info.size };
  }
  if (!info.isDirectory()) throw new InvalidRequestError(`the path to save, ${source}, is neither a file nor a directory`);

  const written: string[] = [];
  const stats: TransferStats = { objects: 0, bytes: 0 };
  try {
    await forEachConcurrently(walkFiles(source, ""), DIRECTORY_CONCURRENCY, async (file) => {
      const objectKey = childKey(key, file.relative);
      await driver.put(objectKey, createReadStream(file.absolute, { highWaterMark: FRAME_BYTES }), { signal });
      written.push(objectKey);
      stats.objects++;
      stats.bytes += file.size;
    });
    return stats;
  } catch (error) {
    await Promise.allSettled(written.map((objectKey) => driver.delete(objectKey)));
    throw error;
  }
}

async function download(source: Readable, file: string, signal?: AbortSignal): Promise<number> {
  const sink = createWriteStream(file, { highWaterMark: FRAME_BYTES });
  await pipeline(source, sink, { signal });
  return sink.bytesWritten;
}

/** `folder/relative`, asserted not to escape `folder` (keys listed from storage are not trusted). */
function insideFolder(folder: string, relative: string): string {
  const file = path.resolve(folder, relative);
  if (!file.startsWith(folder.endsWith("/") ? folder : `${folder}/`)) {
    throw new InvalidRequestError(`object path '${relative}' escapes the destination folder`);
  }
  return file;
}

interface LocalFile {
  absolute: string;
  relative: string;
  size: number;
}

/** Regular files under `root`, recursively, with `/`-separated relative paths; symlinks are skipped. */
async function* walkFiles(root: string, relative: string): AsyncGenerator<LocalFile> {
  for await (const entry of await opendir(path.join(root, relative), { bufferSize: 256 })) {
    const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      yield* walkFiles(root, rel);
    } else if (entry.isFile()) {
      const absolute = path.join(root, rel);
      yield { absolute, relative: rel, size: (await lstat(absolute)).size };
    }
  }
}

/** Runs `work` over `items` with at most `limit` at once; the first failure stops the rest and is thrown. */
async function forEachConcurrently<T>(items: AsyncIterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of items) {
    if (failure) break;
    const task = work(item).then(
      () => void running.delete(task),
      (error: unknown) => {
        running.delete(task);
        failure ??= { error };
      },
    );
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}
