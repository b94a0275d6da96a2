/**
 * The local paths Save reads and Load writes: only what Argo hands over.
 *
 * Argo's executor stages outputs under `/tmp/argo/outputs` (artifacts, logs)
 * and reads `archive: none` outputs in place under `/mainctrfs`; it loads
 * inputs to `/argo/inputs/artifacts/<name>.tmp` or `/mainctrfs/<path>.tmp`
 * (workflow/executor/executor.go, shared/notes/argo-runtime.md §1.2-1.3).
 * argo-server hands the plugin no paths at all (it streams). So by default
 * those three folders are allowed, and MULTISTORE_PATHS (`:`-separated)
 * replaces them. `/proc`, `/sys`, `/dev` and the secrets folders are always
 * refused: a Save of `/proc/self/environ` would store the plugin's own
 * credentials.
 *
 * A path is checked where it really is, after it is opened: the real path of
 * the open file or folder (`/proc/self/fd/<fd>`) must lie under an allowed
 * folder and under no refused one, so a link anywhere on the way cannot lead
 * out. Everything below an opened folder is reached through that folder's
 * descriptor (`/proc/self/fd/<fd>/<name>`), so a folder swapped for a link
 * mid-walk cannot redirect it either (Linux only, as the plugin is).
 */
import { constants, realpathSync, statSync } from "node:fs";
import { type FileHandle, open, readlink } from "node:fs/promises";
import path from "node:path";
import {
  errnoCode,
  InvalidRequestError,
  PermissionDeniedError,
  PluginError,
  ResourceExhaustedError,
} from "./errors.ts";
import { clip } from "./text.ts";

/** Where Argo's executor hands artifacts to a plugin. */
export const ARGO_PATHS = ["/tmp/argo/outputs", "/argo/inputs", "/mainctrfs"];
/** Never read or written, whatever the allow-list says (secrets folders are added from the environment). */
const ALWAYS_REFUSED = ["/proc", "/sys", "/dev", "/var/run/secrets", "/run/secrets"];

/** Which local paths the plugin may read (Save) and write (Load). */
export class PathPolicy {
  readonly allowed: readonly string[];
  readonly refused: readonly string[];
  private readonly source: string;

  /** Device and inode of each refused folder that exists: a bind mount of one is refused under any name. */
  private readonly refusedIds: ReadonlyMap<string, string>;

  constructor(allowed: readonly string[], refused: readonly string[] = [], source = "MULTISTORE_PATHS") {
    // Folders are compared where they really are (a root given through a link still matches).
    this.allowed = [...new Set(allowed.flatMap((p) => [path.resolve(p), real(p)]))];
    this.refused = [...new Set([...ALWAYS_REFUSED, ...refused].flatMap((p) => [path.resolve(p), real(p)]))];
    this.source = source;
    const ids = new Map<string, string>();
    for (const root of this.refused) {
      try {
        const info = statSync(root);
        ids.set(`${info.dev}:${info.ino}`, root);
      } catch {
        // not there: nothing to recognise
      }
    }
    this.refusedIds = ids;
  }

  /**
   * From MULTISTORE_PATHS; unset, Argo's folders plus `defaults` (the CLI's
   * `serve` adds its working folder). The secrets folders named in the
   * environment are refused too.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, defaults: readonly string[] = []): PathPolicy {
    const listed = (env["MULTISTORE_PATHS"] ?? "").split(":").filter(Boolean);
    const secrets = [env["MULTISTORE_SECRETS_DIR"], env["MULTISTORE_SERVICE_ACCOUNT_DIR"]].filter((p): p is string =>
      Boolean(p),
    );
    return new PathPolicy(listed.length > 0 ? listed : [...ARGO_PATHS, ...defaults], secrets);
  }

  /** Refuses, before touching the filesystem, a path spelled inside a refused folder. */
  checkSpelled(what: string, spelled: string): void {
    const refused = this.refused.find((root) => spelled === root || spelled.startsWith(`${root}/`));
    if (refused)
      throw new PermissionDeniedError(
        `${what} ${clip(spelled)} is under ${refused}, which the plugin never reads or writes`,
      );
  }

  /**
   * Checks the real location of an open file or folder, given as `spelled`
   * in the request: throws PermissionDeniedError naming the rule it breaks.
   * `what` names the request's path ("the Save path").
   */
  async check(handle: FileHandle, what: string, spelled: string): Promise<void> {
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    const within = (root: string) => root === "/" || real === root || real.startsWith(`${root}/`);
    const named = `${what} ${clip(spelled)}${real === spelled ? "" : ` (at ${clip(real)})`}`;
    const refused = this.refused.find(within);
    if (refused)
      throw new PermissionDeniedError(`${named} is under ${refused}, which the plugin never reads or writes`);
    if (!this.allowed.some(within)) {
      throw new PermissionDeniedError(
        `${named} is outside the folders the plugin reads and writes (${this.source}: ${this.allowed.join(":")})`,
      );
    }
  }

  /**
   * Checks a folder met inside a tree being saved or replaced: the refused
   * folder it is (by device and inode, or by real path), if any.
   */
  async refusedFolder(handle: FileHandle): Promise<string | undefined> {
    const info = await handle.stat();
    const byId = this.refusedIds.get(`${info.dev}:${info.ino}`);
    if (byId) return byId;
    const where = await readlink(`/proc/self/fd/${handle.fd}`);
    return this.refused.find((root) => where === root || where.startsWith(`${root}/`));
  }

  /** The refused folders inside `folder` (a real path): a Load may not replace a tree that holds one. */
  refusedBelow(folder: string): string | undefined {
    return this.refused.find((root) => root.startsWith(`${folder === "/" ? "" : folder}/`));
  }
}

/** `p` resolved through links, or as it is when it does not exist. */
function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/** The path of `name` inside the open folder `dir`, resolved through its descriptor (never through a swapped link). */
export function inside(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

/** Opens a folder without following a link in its last component. */
export function openFolder(p: string): Promise<FileHandle> {
  return open(p, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
}

/** Raised for something that is not a regular file where one should be (code EFTYPE). */
export class NotRegularFileError extends Error {
  readonly code = "EFTYPE";
  constructor(file: string) {
    super(`${file} is not a regular file`);
  }
}

/**
 * Opens `p` without blocking (a FIFO would hold an I/O thread forever) and
 * without following a final link, and checks it is a regular file; throws
 * NotRegularFileError otherwise. Files on shared volumes are opened this way.
 */
export async function openRegular(p: string, flags: number = constants.O_RDONLY): Promise<FileHandle> {
  return (await openChecked(p, flags)).handle;
}

/** An open regular file: its size when opened, and what tells whether it changed since. */
export interface OpenedFile {
  handle: FileHandle;
  size: number;
  /** Inode, size, modification and change times (ns) when opened: any write since changes it. */
  stamp: string;
}

/** The stamp of an open file now (OpenedFile.stamp). */
export async function fileStamp(handle: FileHandle): Promise<{ stamp: string; isFile: boolean; size: number }> {
  const info = await handle.stat({ bigint: true });
  return {
    stamp: `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`,
    isFile: info.isFile(),
    size: Number(info.size),
  };
}

async function openChecked(p: string, flags: number): Promise<OpenedFile> {
  const handle = await open(p, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const { stamp, isFile, size } = await fileStamp(handle);
    if (!isFile) throw new NotRegularFileError(p);
    return { handle, size, stamp };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/** openRegular for reading, with its size; undefined for what is not a regular file (a FIFO, a device, a link) or is gone. */
export async function openRegularFile(p: string): Promise<OpenedFile | undefined> {
  try {
    return await openChecked(p, constants.O_RDONLY);
  } catch (error) {
    if (["ELOOP", "ENOENT", "ENXIO", "EFTYPE"].includes(errnoCode(error) ?? "")) return undefined;
    throw error;
  }
}

/** A request's local path: absolute, no NUL. */
export function requirePath(value: string, what: string): string {
  if (value === "") throw new InvalidRequestError(`${what} is empty`);
  if (value.includes("\0")) throw new InvalidRequestError(`${what} contains a NUL byte`);
  if (!path.isAbsolute(value)) throw new InvalidRequestError(`${what} ${clip(value)} must be an absolute path`);
  return path.resolve(value);
}

/**
 * Folds an error of the plugin's own filesystem (a Load destination, a Save
 * source) into what it means for the caller; `what` names the path.
 */
export function localFsError(error: unknown, what: string): unknown {
  if (error instanceof PluginError) return error;
  const options = { cause: error };
  const code = errnoCode(error);
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new InvalidRequestError(`${what}: a folder on the way does not exist (${code})`, options);
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return new PermissionDeniedError(
        `${what}: the plugin may not ${code === "EROFS" ? "write there (read-only)" : "access it"} (${code}); check the container's user and the volume's permissions`,
        options,
      );
    case "ENOSPC":
    case "EDQUOT":
      return new ResourceExhaustedError(`${what}: no space left (${code})`, options);
    case "ENAMETOOLONG":
      return new InvalidRequestError(`${what}: a name is too long for the filesystem`, options);
    default:
      return error;
  }
}
