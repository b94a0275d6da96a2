/**
 * The contract every storage backend implements. The service layer speaks
 * only to this interface; the shared conformance suite
 * (test/conformance/suite.ts) checks each statement below against every
 * backend. Keys reaching a driver are already normalised (src/keys.ts):
 * relative, `/`-separated, no empty, `.` or `..` segments.
 *
 * Objects are flat, as in S3: a "directory" is only the set of objects whose
 * keys start with `dir/`. Errors are the classes of src/errors.ts; a driver
 * folds its provider's codes into them.
 */
import type { Readable } from "node:stream";
import type { Logger } from "./log.ts";
import type { SecretResolver } from "./secrets.ts";

/**
 * What every driver factory is given, built once at start-up from the
 * environment (registry.ts, driverDepsFromEnv): drivers read no environment
 * and share no global of their own.
 */
export interface DriverDeps {
  /** Resolves the configuration's Secret references (mounted folders, the Kubernetes API). */
  secrets: SecretResolver;
  /** Where a driver reports what it does and what fails in the background. */
  log: Logger;
  /** Folders the local store's drives must lie in (MULTISTORE_LOCAL_DRIVES); empty: anywhere. */
  localDriveRoots: readonly string[];
}

/**
 * An optional property of a stream a driver's `get` returns: a consumer that
 * is done with a chunk it read (written to a file) may give it back, and the
 * driver reuses its memory, so the transfer makes no garbage per chunk (the
 * local store lends its block buffers this way). Only a chunk exactly as it
 * was read may go back, once, and the consumer must not touch it after.
 */
export const RECYCLE = Symbol("multistore.recycle");

/** The stream's way to take chunks back, if it has one. */
export function recyclerOf(stream: Readable): ((chunk: Buffer) => void) | undefined {
  return (stream as Readable & { [RECYCLE]?: (chunk: Buffer) => void })[RECYCLE];
}

/**
 * An optional property of a stream a driver's `get` returns when the driver
 * checks the bytes against the object's digest as they flow
 * (drivers/content-check.ts). A consumer that writes them into a file no
 * one sees until it is complete (a Load's staged file) may take the check
 * over, at any point: the stream then passes every byte on unchecked, and
 * the consumer hashes the whole written file (on a worker, off the event
 * loop: src/file-digest.ts) and fails with `damaged` unless it matches.
 * Undefined once the stream has made the check itself.
 */
export const DEFERRED_CHECK = Symbol("multistore.deferredCheck");

/** A check handed to the consumer: the digest the whole content must have. */
export interface DeferredCheck {
  algorithm: "sha256" | "md5";
  /** Hex. */
  expected: string;
  /** The DATA_LOSS error for content that hashed to `actual` (hex) instead. */
  damaged(actual: string): Error;
}

/**
 * Takes over the stream's digest check, if it has one to give (see
 * DEFERRED_CHECK) for an object of at most `maxBytes`: reading a larger file
 * back could go to the disk (a container's memory limit bounds its page
 * cache too) and cost more than hashing the bytes as they pass.
 */
export function takeCheck(stream: Readable, maxBytes: number): DeferredCheck | undefined {
  return (stream as Readable & { [DEFERRED_CHECK]?: (max: number) => DeferredCheck | undefined })[DEFERRED_CHECK]?.(
    maxBytes,
  );
}

/** What a listing or stat knows about one object. */
export interface ObjectInfo {
  /** Full key of the object. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Last modification, when the backend knows it. */
  modified?: Date;
  /** The SHA-256 of the content (hex) that its Save recorded, when there is one (`stat` only). */
  sha256?: string;
}

/** Options common to calls that move data. */
export interface TransferOptions {
  /** Aborting cancels the transfer; a cancelled `put` leaves nothing visible. */
  signal?: AbortSignal;
  /** The body's length in bytes, when known (a file): lets a backend size its upload parts. */
  size?: number;
  /**
   * The body's SHA-256 (hex), hashed by the caller over the same bytes (a
   * worker thread reading the file being sent, src/file-digest.ts): a put
   * records it instead of hashing the body on the event loop. It resolves
   * undefined when the bytes could not be hashed (the file changed length),
   * and the put then records none; a rejection fails the put.
   */
  sha256?: Promise<string | undefined>;
}

export interface Driver {
  /**
   * Opens the object `key` for reading and resolves once the first byte can be
   * read, so a missing object rejects with NotFoundError here rather than as a
   * stream error. A read failure after that (I/O error, corruption) destroys
   * the stream with an error: a short read is never reported as the end.
   */
  get(key: string, options?: TransferOptions): Promise<Readable>;

  /**
   * Stores everything `body` yields as the object `key`, replacing any object
   * of that key. Atomic: readers see the old object or the complete new one,
   * never a part. If `body` errors or the signal aborts, the call rejects and
   * no new object is visible; an abort rejects with an error named
   * `AbortError` (Node's, as `addAbortSignal` and `pipeline` raise it), which
   * the RPC layer reports as CANCELLED. (One window no object store can close: a
   * cancel that arrives while the final commit request is already on its
   * way; the object may then appear although the call rejected.) A rejected
   * put destroys `body` (so an open file behind it is closed). Empty bodies
   * make empty objects. `size`, when given, is a hint for sizing parts.
   */
  put(key: string, body: Readable, options?: TransferOptions): Promise<void>;

  /** Size and time of the object `key`; rejects with NotFoundError if there is none. */
  stat(key: string): Promise<ObjectInfo>;

  /**
   * Every object whose key starts with `prefix`, recursively, in no set order.
   * `prefix` is matched as a string: `a/` does not match `ab/x`.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;

  /** Deletes the object `key`. Resolves (does nothing) when there is none. */
  delete(key: string): Promise<void>;

  /** Deletes every object whose key starts with `prefix`; resolves with how many went. */
  deletePrefix(prefix: string): Promise<number>;

  /** Releases clients, timers and handles. The driver is not used afterwards. */
  dispose(): Promise<void>;
}

/**
 * Puts that become visible together, for a directory Save: every file is
 * staged first, and none is visible until `commit`, so a Save that fails or
 * is cancelled before it leaves the store exactly as it was.
 */
export interface StagedPuts {
  /** Stores `body` for `key` out of sight; rejects, destroying `body`, as `Driver.put` does. */
  put(key: string, body: Readable, options?: TransferOptions): Promise<void>;
  /**
   * Makes every staged put visible, each as `Driver.put` would have. Not
   * cancellable once begun. A failure part way (a drive lost) leaves each
   * object old or new, never a part.
   */
  commit(): Promise<void>;
  /** Removes whatever is staged and not committed. Safe to repeat; always call it. */
  discard(): Promise<void>;
}

/** An optional capability: a driver that can stage puts and commit them together (the local store). */
export interface StagingDriver extends Driver {
  stage(): StagedPuts;
}

export function isStaging(driver: Driver): driver is StagingDriver {
  return typeof (driver as Partial<StagingDriver>).stage === "function";
}

/** What healing found and did for one object. */
export interface HealResult {
  key: string;
  /**
   * `rewritten`: a newer write replaced the object while it was being healed;
   * `degraded`: it reads, but no drive could take its rebuilt shards (try again).
   */
  state: "healthy" | "healed" | "degraded" | "unrecoverable" | "gone" | "rewritten";
  /** Drives (by position in the configuration) that received rebuilt data. */
  drives: number[];
  detail?: string;
}

/** What a heal pass over a whole store did. */
export interface HealSummary {
  objects: number;
  healthy: number;
  healed: number;
  unrecoverable: number;
  tempFilesRemoved: number;
  /** Every object that was not healthy. */
  results: HealResult[];
}

/**
 * An optional capability: a driver whose storage it manages itself (the
 * erasure-coded local store) and can verify and repair. Object stores
 * repair themselves and do not implement it.
 */
export interface HealingDriver extends Driver {
  /** Verifies every stored byte of `key` and rewrites what is missing or damaged. */
  heal(key: string): Promise<HealResult>;
  /** Heals every object, and removes what interrupted writes left behind. */
  healAll(): Promise<HealSummary>;
}

export function isHealing(driver: Driver): driver is HealingDriver {
  return typeof (driver as Partial<HealingDriver>).healAll === "function";
}
