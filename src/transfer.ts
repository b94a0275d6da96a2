/**
 * Moving artifacts between the local filesystem and a driver, with the
 * semantics of Argo's built-in S3 driver: a key is an object, or a directory
 * of objects under `key/`. Everything streams; nothing is held whole in memory.
 */
import type { Readable } from "node:stream";
import { directoryTarGz } from "./archive.ts";
import { forEachConcurrently } from "./concurrency.ts";
import { type Driver, isStaging } from "./driver.ts";
import { errnoCode, InvalidRequestError, NotFoundError } from "./errors.ts";
import { download } from "./file-sink.ts";
import { childKey, directoryPrefix, relativeToDirectory } from "./keys.ts";
import { type LoadTarget, openLoadTarget } from "./load-target.ts";
import type { PathPolicy } from "./local-paths.ts";
import type { Logger } from "./log.ts";
import { openSaveSource, type SourceFile } from "./save-source.ts";
import { clip } from "./text.ts";
import { putUnlessUnchanged, storedByStat, storedUnder } from "./unchanged.ts";

/** Files moved at once within one directory artifact: enough to hide per-object latency. */
const DIRECTORY_CONCURRENCY = 4;

/** What a transfer moved, for the access log. */
export interface TransferStats {
  objects: number;
  bytes: number;
}

/** What a Save stored: `objects` files of `bytes` in all, of which `unchanged` were already stored and not sent. */
export interface SaveStats extends TransferStats {
  unchanged: number;
}

export interface SaveOptions {
  signal?: AbortSignal;
  /** Skip files the store already holds byte for byte (src/unchanged.ts); default true. */
  skipUnchanged?: boolean;
  /** Where a check that could not be made is reported (the Save goes on, sending the file). */
  log?: Logger;
}

/**
 * What `key` names, by Argo's rule (its S3 driver's): the object `key` if
 * there is one, else the directory of the objects under `key/` if there are
 * any, else nothing (NotFoundError). `probe` looks at the object (opens or
 * stats it) and rejects with NotFoundError when there is none; only then
 * is `key/` listed, so an object costs one request.
 */
export async function resolveArtifact<T>(
  driver: Driver,
  key: string,
  probe: () => Promise<T>,
): Promise<{ kind: "object"; object: T } | { kind: "directory" }> {
  try {
    return { kind: "object", object: await probe() };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    if (await isDirectory(driver, key)) return { kind: "directory" };
    throw artifactNotFound(key, error);
  }
}

/** The one answer for a key that is neither an object nor a directory. */
export function artifactNotFound(key: string, cause?: unknown): NotFoundError {
  return new NotFoundError(`artifact '${clip(key)}' not found`, { cause });
}

/** Opens `key` for streaming out: the object's bytes, or a tar.gz of the directory `key/`. */
export async function openArtifact(driver: Driver, key: string, signal?: AbortSignal): Promise<Readable> {
  const artifact = await resolveArtifact(driver, key, () => driver.get(key, { signal }));
  return artifact.kind === "object" ? artifact.object : directoryTarGz(driver, key, { signal });
}

/** True if at least one object lies under `key/`. */
export async function isDirectory(driver: Driver, key: string): Promise<boolean> {
  for await (const _object of driver.list(directoryPrefix(key))) return true;
  return false;
}

/**
 * Stores everything a SaveStream call sends as the object `key`. The body is
 * destroyed when the driver is done with it (so the call stops being read if
 * the driver gave up early), and a failure of the body after the reply (a
 * cancel) is not left as an uncaught stream error.
 */
export async function saveFromStream(driver: Driver, key: string, body: Readable, signal?: AbortSignal): Promise<void> {
  body.on("error", () => {}); // the driver sees a failed body through its own reading
  try {
    await driver.put(key, body, { signal });
  } finally {
    body.destroy();
  }
}

/**
 * Writes the artifact `key` at exactly `dest` (openLoadTarget: inside the
 * folders `paths` allows, replacing what is there): a file for an object, a
 * folder tree for a directory. It is staged beside `dest` and renamed into
 * place once complete, so `dest` never holds a partial artifact, and a
 * failure removes only what this call wrote.
 */
export async function loadToPath(
  driver: Driver,
  key: string,
  dest: string,
  paths: PathPolicy,
  signal?: AbortSignal,
): Promise<TransferStats> {
  const target = await openLoadTarget(dest, paths);
  try {
    const stats = await loadInto(driver, key, target, signal);
    await target.commit();
    return stats;
  } finally {
    await target.discard();
  }
}

async function loadInto(driver: Driver, key: string, target: LoadTarget, signal?: AbortSignal): Promise<TransferStats> {
  const artifact = await resolveArtifact(driver, key, () => driver.get(key, { signal }));
  if (artifact.kind === "object")
    return { objects: 1, bytes: await download(artifact.object, () => target.createFile(""), signal) };
  const stats: TransferStats = { objects: 0, bytes: 0 };
  await forEachConcurrently(
    driver.list(directoryPrefix(key)),
    DIRECTORY_CONCURRENCY,
    async (object, taskSignal) => {
      const relative = relativeToDirectory(key, object.key);
      try {
        stats.bytes += await download(
          await driver.get(object.key, { signal: taskSignal }),
          () => target.createFile(relative),
          taskSignal,
        );
      } catch (error) {
        // S3 allows objects `k/a` and `k/a/b` side by side; a filesystem tree cannot hold both.
        const code = errnoCode((error as Error).cause) ?? errnoCode(error) ?? "";
        if (["EEXIST", "ENOTDIR", "EISDIR"].includes(code)) {
          throw new InvalidRequestError(
            `cannot write '${clip(key)}' as a folder tree: '${clip(relative)}' collides with another object (storage can hold both 'x' and 'x/y'; a folder tree cannot)`,
            { cause: error },
          );
        }
        throw error;
      }
      stats.objects++;
    },
    signal,
  );
  if (stats.objects === 0) throw artifactNotFound(key); // its objects were deleted since it was resolved
  return stats;
}

/**
 * Stores the file or folder at `source` (openSaveSource: inside the folders
 * `paths` allows, never leaving the tree) as the artifact `key`: a file as
 * one object, a folder as one object per regular file at `key/<relative
 * path>`. Links and special files inside a folder are skipped. A file the
 * store already holds byte for byte is not sent again (src/unchanged.ts).
 *
 * A folder Save that fails or is cancelled deletes nothing: every object
 * that was under `key/` still exists, each either as it was or as the
 * complete new file (a put replaces an object whole or not at all), and the
 * new files it had stored stay (a retry completes the Save). Deleting them
 * again would race a concurrent Save of the same key that stored them too.
 * A driver that can stage puts (the local store) does better: nothing of the
 * Save is visible until every file is stored, so a failure before then
 * leaves `key/` exactly as it was.
 */
export async function saveFromPath(
  driver: Driver,
  key: string,
  source: string,
  paths: PathPolicy,
  options: SaveOptions = {},
): Promise<SaveStats> {
  const { signal, skipUnchanged = true } = options;
  const opened = await openSaveSource(source, paths);
  if (opened.kind === "file") {
    const stats: SaveStats = { objects: 1, bytes: opened.file.size, unchanged: 0 };
    try {
      const stored = skipUnchanged ? storedByStat(driver, options.log) : undefined;
      if (!(await putUnlessUnchanged(driver, key, opened.file, stored, signal))) stats.unchanged = 1;
    } finally {
      await opened.file.close();
    }
    return stats;
  }
  const stats: SaveStats = { objects: 0, bytes: 0, unchanged: 0 };
  const stored = skipUnchanged ? await storedUnder(driver, directoryPrefix(key), signal, options.log) : undefined;
  const staged = isStaging(driver) ? driver.stage() : undefined;
  const target = staged ?? driver;
  const unsent = new Set<SourceFile>(); // opened by the walk, not yet handed to a put
  async function* files(): AsyncGenerator<SourceFile> {
    for await (const file of (opened as Extract<typeof opened, { kind: "folder" }>).files) {
      unsent.add(file);
      yield file;
    }
  }
  try {
    await forEachConcurrently(
      files(),
      DIRECTORY_CONCURRENCY,
      async (file, taskSignal) => {
        unsent.delete(file);
        const fileKey = childKey(key, file.relative);
        try {
          if (!(await putUnlessUnchanged(target, fileKey, file, stored, taskSignal))) stats.unchanged++;
        } finally {
          await file.close();
        }
        stats.objects++;
        stats.bytes += file.size;
      },
      signal,
    );
    if (staged) {
      signal?.throwIfAborted(); // cancelled as the last file ended: commit nothing
      await staged.commit();
    }
    return stats;
  } finally {
    await staged?.discard();
    for (const file of unsent) await file.close();
    await opened.close();
  }
}
