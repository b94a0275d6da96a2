/**
 * What a Save reads: the file or folder tree at the request's path, opened
 * so that nothing outside it is ever read, whatever changes under it.
 *
 * The path itself must not be a link, and its real location must be one
 * the PathPolicy allows. A tree is walked through folder descriptors: each
 * folder is opened with O_DIRECTORY|O_NOFOLLOW and its entries are reached
 * through it, so a subfolder swapped for a link mid-walk is skipped, never
 * followed. Every file is opened without blocking and checked to be a
 * regular file (a FIFO would hold an I/O thread forever), and its bytes
 * must add up to the size it had when opened: a file that grows or shrinks
 * while being saved fails the Save instead of being stored at another length.
 */
import { type FileHandle, lstat, opendir } from "node:fs/promises";
import { Readable } from "node:stream";
import { RECYCLE } from "./driver.ts";
import { errnoCode, InvalidRequestError, PermissionDeniedError, PluginError } from "./errors.ts";
import { sha256OfFile } from "./file-digest.ts";
import { MAX_KEY_BYTES } from "./keys.ts";
import {
  fileStamp,
  inside,
  localFsError,
  type OpenedFile,
  openFolder,
  openRegularFile,
  type PathPolicy,
} from "./local-paths.ts";
import { clip } from "./text.ts";
import { MiB } from "./units.ts";

/** Bytes read from a source file at a time. */
const READ_CHUNK = MiB;

/** One regular file to store: open, with its size when opened. */
export interface SourceFile {
  /** `/`-separated path inside the saved folder (empty for a single file). */
  relative: string;
  size: number;
  /** The file's bytes, failing if the file does not hold exactly `size` of them. Closes the file at its end. */
  stream(): Readable;
  /**
   * The SHA-256 (hex) of its bytes, hashed off the event loop, or undefined
   * if it no longer holds `size` bytes. Hashed once: later calls share the
   * first's (and its signal). It may run while `stream()` is read; the file
   * stays open until both are done.
   */
  sha256(signal?: AbortSignal): Promise<string | undefined>;
  /**
   * The SHA-256 of the bytes `stream()` sent: the hash above, once the
   * stream has read to its end and the file is seen not to have been
   * written to since it was opened, so the hash and the stream read the
   * same bytes. Rejects with InvalidRequestError if it was (a file
   * rewritten in place while being saved must not be stored, let alone
   * with a digest of other bytes). Await it only once the stream has ended.
   */
  sentSha256(): Promise<string | undefined>;
  /** Closes the file (whether or not it was streamed); safe to call twice. */
  close(): Promise<void>;
}

export type SaveSource =
  | { kind: "file"; file: SourceFile }
  | { kind: "folder"; files: AsyncGenerator<SourceFile>; close(): Promise<void> };

/** Opens the Save path `spelled` (absolute) as a file or a folder tree, checked against `policy`. */
export async function openSaveSource(spelled: string, policy: PathPolicy): Promise<SaveSource> {
  const what = `the Save path ${clip(spelled)}`;
  policy.checkSpelled("the Save path", spelled);
  const info = await lstat(spelled).catch((error: unknown) => {
    throw localFsError(error, `cannot read ${what}`);
  });
  if (info.isSymbolicLink()) throw new InvalidRequestError(`${what} is a symbolic link; refusing to follow it`);
  if (info.isDirectory()) {
    const root = await openFolder(spelled).catch((error: unknown) => {
      throw localFsError(error, `cannot open ${what}`);
    });
    try {
      await policy.check(root, "the Save path", spelled);
    } catch (error) {
      await root.close();
      throw error;
    }
    const files = walk(root, "", new Set(), policy);
    return { kind: "folder", files, close: async () => void (await files.return(undefined)) };
  }
  const opened = await openRegularFile(spelled).catch((error: unknown) => {
    throw localFsError(error, `cannot open ${what}`);
  });
  if (!opened)
    throw new InvalidRequestError(`${what} is not a regular file or a folder (or changed while being opened)`);
  try {
    await policy.check(opened.handle, "the Save path", spelled);
  } catch (error) {
    await opened.handle.close();
    throw error;
  }
  return { kind: "file", file: sourceFile(opened, "", what) };
}

/**
 * The regular files below the open folder `dir`, depth first. Links,
 * special files and anything swapped in for a listed entry are skipped;
 * a folder reached twice (a bind mount looping back) is walked once; a
 * refused folder inside the tree (a mounted Secret, /proc) fails the Save.
 */
async function* walk(
  dir: FileHandle,
  relative: string,
  seen: Set<string>,
  policy: PathPolicy,
): AsyncGenerator<SourceFile> {
  try {
    const info = await dir.stat();
    const identity = `${info.dev}:${info.ino}`;
    if (seen.has(identity)) return;
    seen.add(identity);
    if (relative !== "") {
      const refused = await policy.refusedFolder(dir);
      if (refused)
        throw new PermissionDeniedError(
          `the folder ${clip(relative)} of the Save path is ${refused}, which the plugin never reads`,
        );
    }
    if (Buffer.byteLength(relative) > MAX_KEY_BYTES) {
      throw new InvalidRequestError(`the Save path nests deeper than a key can name (${clip(relative)})`);
    }
    for await (const entry of await opendir(inside(dir, "."), { bufferSize: 256 })) {
      const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
      const what = `the ${entry.isDirectory() ? "folder" : "file"} ${clip(rel)} of the Save path`;
      try {
        if (entry.isDirectory()) {
          const sub = await openFolder(inside(dir, entry.name)).catch(skippable);
          if (sub) yield* walk(sub, rel, seen, policy);
        } else if (entry.isFile()) {
          const opened = await openRegularFile(inside(dir, entry.name));
          if (opened) yield sourceFile(opened, rel, what);
        }
      } catch (error) {
        throw localFsError(error, what); // EACCES on a file root wrote 0600: PERMISSION_DENIED, named
      }
    }
  } finally {
    await dir.close();
  }
}

/** A folder entry that became a link or vanished since it was listed: skipped like any link. */
function skippable(error: unknown): undefined {
  if (["ELOOP", "ENOTDIR", "ENOENT"].includes(errnoCode(error) ?? "")) return undefined;
  throw error;
}

function sourceFile(opened: OpenedFile, relative: string, what: string): SourceFile {
  const { handle, size } = opened;
  let closed: Promise<void> | undefined;
  let hashed: Promise<string | undefined> | undefined;
  let readToEnd = () => {};
  const streamEnded = new Promise<void>((resolve) => {
    readToEnd = resolve;
  });
  let lastStamp: string | undefined;
  // The worker reads the descriptor (sha256): the file is closed only once it is done, or the
  // number could be reused by another open file and that file hashed in its place. Its stamp is
  // taken then, once both the hash and the stream (close follows its end) have stopped reading.
  const close = () =>
    (closed ??= (async () => {
      await hashed?.catch(() => {});
      lastStamp = await fileStamp(handle).then(
        (now) => now.stamp,
        () => undefined,
      );
      await handle.close().catch(() => {});
    })());
  const sha256 = (signal?: AbortSignal) =>
    (hashed ??= closed
      ? Promise.reject(new PluginError(`${what} was hashed after it was closed`))
      : sha256OfFile(handle, size, signal).catch((error: unknown) => {
          if (signal?.aborted) throw error;
          const mapped = localFsError(error, `cannot read ${what}`);
          throw mapped instanceof PluginError
            ? mapped
            : new PluginError(`cannot hash ${what}: ${(error as Error).message}`, { cause: error });
        }));
  return {
    relative,
    size,
    stream: () => {
      const buffers = new ReadBuffers();
      const stream = Readable.from(exactly(handle, size, what, close, buffers, readToEnd), {
        objectMode: false,
        highWaterMark: 1,
      });
      return Object.assign(stream, { [RECYCLE]: (chunk: Buffer) => buffers.give(chunk) });
    },
    sha256,
    sentSha256: async () => {
      const [digest] = await Promise.all([sha256(), streamEnded]);
      await close(); // read to its end: nothing reads the file any more
      if (lastStamp !== opened.stamp)
        throw new InvalidRequestError(
          `${what} was written to while being saved; nothing was stored (save it once it is complete)`,
        );
      return digest;
    },
    close,
  };
}

/**
 * A file's read buffers: a chunk the consumer gives back once it has copied
 * it (RECYCLE: an upload into its part buffers, the local store into its
 * stripes) is read into again, so a Save of a large file makes no garbage per
 * chunk. Only the very chunks yielded come back, each once.
 */
class ReadBuffers {
  private readonly lent = new WeakSet<Buffer>();
  private readonly free: Buffer[] = [];

  take(size: number): Buffer {
    return size === READ_CHUNK ? (this.free.pop() ?? Buffer.allocUnsafeSlow(size)) : Buffer.allocUnsafe(size);
  }

  /** `chunk` (a view of `buffer`) goes to the consumer. */
  lend(chunk: Buffer, buffer: Buffer): Buffer {
    if (buffer.length === READ_CHUNK && chunk.length === READ_CHUNK) this.lent.add(chunk);
    return chunk;
  }

  give(chunk: Buffer): void {
    if (!this.lent.delete(chunk) || this.free.length >= 4) return;
    this.free.push(chunk);
  }
}

/** The bytes of `handle` from its start, failing unless there are exactly `size`; then `close`s it. */
async function* exactly(
  handle: FileHandle,
  size: number,
  what: string,
  close: () => Promise<void>,
  buffers: ReadBuffers,
  readToEnd: () => void,
): AsyncGenerator<Buffer> {
  try {
    let position = 0;
    for (;;) {
      // No more than the rest of the file and one byte (which tells a file that grew): a small
      // file costs its size, not a whole chunk, in allocation and in garbage to collect.
      const want = Math.min(READ_CHUNK, Math.max(0, size - position) + 1);
      const buffer = buffers.take(want);
      const { bytesRead } = await handle.read(buffer, 0, want, position).catch((error: unknown) => {
        throw localFsError(error, `cannot read ${what}`);
      });
      if (bytesRead === 0) break;
      position += bytesRead;
      if (position > size)
        throw new InvalidRequestError(`${what} grew while being saved (${size} bytes when opened); nothing was stored`);
      yield buffers.lend(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), buffer);
    }
    if (position < size)
      throw new InvalidRequestError(
        `${what} shrank while being saved (${size} bytes when opened, ${position} read); nothing was stored`,
      );
    readToEnd();
  } finally {
    await close();
  }
}
