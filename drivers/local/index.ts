/**
 * The `local` backend, first version: whole objects as files under one drive.
 *
 * Layout under the drive `D`: `D/objects/<key>/@data` holds the bytes of
 * object `key`, so that `a` and `a/b` can both exist, as in S3 (a file and a
 * folder cannot share a name); the segment `@data` is therefore reserved in
 * keys. `D/tmp/` holds uploads in progress. A put streams into a fresh file
 * in `tmp/`, fsyncs it and renames it into place, so readers only ever see a
 * complete object and a failed, cancelled or killed upload leaves only a temp
 * file, which start-up sweeps away once it is old. Every path is checked to
 * lie inside the drive, and symbolic links are never followed.
 */
import { randomUUID } from "node:crypto";
import { constants, type Dir } from "node:fs";
import { lstat, mkdir, open, opendir, readdir, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Driver, ObjectInfo, TransferOptions } from "../../src/driver.ts";
import { InvalidKeyError, NotFoundError, PermissionDeniedError, UnavailableError } from "../../src/errors.ts";
import type { LocalConfig } from "./config.ts";
import { errnoCode, foldFsError } from "./fs-errors.ts";

/** Read size: one gRPC frame's worth, so OpenStream forwards chunks without re-slicing. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** The file holding an object's bytes inside the object's folder. */
const DATA_FILE = "@data";
/** Temp files older than this are leftovers of a crash (no upload stays silent this long). */
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Creates the driver for `local: {drives: [...]}`. Nothing touches the disk
 * until the first call. Workflow authors write the configuration, so an
 * operator can confine drives to some folders: MULTISTORE_LOCAL_DRIVES is a
 * `:`-separated list of allowed roots (unset: any path).
 */
export function createLocalDriver(config: LocalConfig, allowedRoots = process.env["MULTISTORE_LOCAL_DRIVES"]): Driver {
  const drive = path.resolve(config.drives[0] as string);
  const roots = (allowedRoots ?? "").split(":").filter(Boolean).map((root) => path.resolve(root));
  if (roots.length > 0 && !roots.some((root) => drive === root || drive.startsWith(`${root}/`))) {
    throw new PermissionDeniedError(`local.drives[0]: ${drive} is not under a folder this plugin allows (MULTISTORE_LOCAL_DRIVES)`);
  }
  const objectsDir = path.join(drive, "objects");
  const tmpDir = path.join(drive, "tmp");
  let ready: Promise<void> | undefined;

  /** Checks the drive exists (a missing mount must not silently become a folder) and sweeps leftovers. */
  const ensureReady = (): Promise<void> =>
    (ready ??= (async () => {
      try {
        if (!(await stat(drive)).isDirectory()) throw new UnavailableError(`local drive ${drive} is not a directory`);
        await mkdir(objectsDir, { recursive: true });
        await mkdir(tmpDir, { recursive: true });
      } catch (error) {
        ready = undefined; // try again on the next call: the volume may be mounted by then
        if (errnoCode(error) === "ENOENT") {
          throw new UnavailableError(`local drive ${drive} does not exist: mount a volume there or create it`);
        }
        throw foldFsError(error, drive);
      }
      sweepTemp(tmpDir).catch(() => {}); // best effort: a read-only or foreign file must not fail calls
    })());

  /** The folder of `key`, asserted to lie inside the objects folder. */
  const folderOf = (key: string): string => {
    const folder = path.join(objectsDir, key);
    const relative = path.relative(objectsDir, folder);
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
      throw new InvalidKeyError(`key '${key}' resolves outside the local store`);
    }
    if (key.split("/").includes(DATA_FILE)) {
      throw new InvalidKeyError(`key '${key}' uses the segment '${DATA_FILE}', which the local store reserves`);
    }
    return folder;
  };
  /** The file holding the bytes of `key`. */
  const fileOf = (key: string): string => path.join(folderOf(key), DATA_FILE);

  /** Removes now-empty folders from `file`'s parent up to (not including) the objects folder. */
  const pruneEmptyParents = async (file: string): Promise<void> => {
    for (let dir = path.dirname(file); dir !== objectsDir && dir.startsWith(objectsDir); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty, already gone, or in use: stop
      }
    }
  };

  return {
    async get(key: string, options?: TransferOptions): Promise<Readable> {
      await ensureReady();
      const file = fileOf(key);
      try {
        // O_NOFOLLOW: a symlink planted in the store is not an object we wrote.
        const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
        if (!(await handle.stat()).isFile()) {
          await handle.close();
          throw new NotFoundError(`object '${key}' not found`);
        }
        return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES, signal: options?.signal });
      } catch (error) {
        if (errnoCode(error) === "ELOOP" || errnoCode(error) === "ENOTDIR") {
          throw new NotFoundError(`object '${key}' not found`, { cause: error });
        }
        throw foldFsError(error, key);
      }
    },

    async put(key: string, body: Readable, options?: TransferOptions): Promise<void> {
      await ensureReady();
      const file = fileOf(key);
      const temp = path.join(tmpDir, `${randomUUID()}.part`);
      try {
        const handle = await open(temp, "wx", 0o644);
        // flush: fsync before close, so the rename below never publishes unwritten data.
        await pipeline(body, handle.createWriteStream({ flush: true, highWaterMark: READ_CHUNK_BYTES }), {
          signal: options?.signal,
        });
        await publish(temp, file, key);
      } catch (error) {
        await rm(temp, { force: true });
        throw foldFsError(error, key);
      }
    },

    async stat(key: string): Promise<ObjectInfo> {
      await ensureReady();
      try {
        const info = await lstat(fileOf(key));
        if (!info.isFile()) throw new NotFoundError(`object '${key}' not found`);
        return { key, size: info.size, modified: info.mtime };
      } catch (error) {
        if (errnoCode(error) === "ENOTDIR") throw new NotFoundError(`object '${key}' not found`, { cause: error });
        throw foldFsError(error, key);
      }
    },

    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      await ensureReady();
      // Walk only the folder the prefix points into; its last segment filters names.
      const slash = prefix.lastIndexOf("/");
      const folderKey = prefix.slice(0, slash + 1);
      const namePrefix = prefix.slice(slash + 1);
      const folder = folderKey === "" ? objectsDir : folderOf(folderKey.slice(0, -1));
      yield* walk(folder, folderKey, namePrefix, true);
    },

    async delete(key: string): Promise<void> {
      await ensureReady();
      const file = fileOf(key);
      try {
        await unlink(file);
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" || code === "ENOTDIR") return; // no such object: nothing to do
        throw foldFsError(error, key);
      }
      await pruneEmptyParents(file);
    },

    async deletePrefix(prefix: string): Promise<number> {
      let deleted = 0;
      for await (const object of this.list(prefix)) {
        const file = fileOf(object.key);
        await unlink(file).catch((error: unknown) => {
          if (errnoCode(error) !== "ENOENT") throw foldFsError(error, object.key);
        });
        deleted++;
        await pruneEmptyParents(file);
      }
      return deleted;
    },

    async dispose(): Promise<void> {},
  };

  /** Renames the finished temp file to `file`, creating folders; retries if a delete prunes them meanwhile. */
  async function publish(temp: string, file: string, key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await rename(temp, file);
        return;
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" && attempt < 5) continue;
        throw foldFsError(error, key);
      }
    }
  }

  /**
   * Yields the objects below `folder` (whose key prefix is `folderKey`), in
   * sub-folders whose names start with `namePrefix`. The object stored in
   * `folder` itself (its `@data`) is yielded only below the top level.
   */
  async function* walk(folder: string, folderKey: string, namePrefix: string, top: boolean): AsyncGenerator<ObjectInfo> {
    let entries: Dir;
    try {
      entries = await opendir(folder, { bufferSize: 256 }); // streamed: folders may hold millions
    } catch (error) {
      const code = errnoCode(error);
      if (code === "ENOENT" || code === "ENOTDIR") return;
      throw foldFsError(error, folderKey);
    }
    for await (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.name === DATA_FILE && entry.isFile()) {
        if (top) continue;
        const info = await lstat(full).catch(() => undefined); // deleted meanwhile: skip
        if (info?.isFile()) yield { key: folderKey.slice(0, -1), size: info.size, modified: info.mtime };
      } else if (entry.isDirectory() && entry.name.startsWith(namePrefix)) {
        yield* walk(full, `${folderKey}${entry.name}/`, "", false);
      }
      // Symlinks, sockets, devices: not objects of ours; never followed.
    }
  }
}

/** Deletes temp files older than STALE_TEMP_MS: leftovers of a crashed or killed upload. */
async function sweepTemp(tmpDir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
    const file = path.join(tmpDir, name);
    const info = await lstat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true, recursive: true }).catch(() => {});
  }
}
