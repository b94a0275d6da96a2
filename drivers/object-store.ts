/**
 * What the three object-store drivers (s3, azure, gcs) share: how a
 * configured prefix and a key make a stored name, which low-level errors are
 * network failures, how a cancel reaches a stalled upload body, and prefix
 * deletion as concurrent single deletes. Their resumed downloads are in
 * resumable-read.ts beside this file.
 */
import type { Readable } from "node:stream";
import { forEachConcurrently } from "../src/concurrency.ts";
import type { ObjectInfo } from "../src/driver.ts";
import { InvalidConfigError, InvalidKeyError, UnavailableError } from "../src/errors.ts";
import { normaliseKey } from "../src/keys.ts";

/** `keyPrefix`/`blobPrefix` as the folder it stands for: `a/b/` for `a/b` or `a/b/`, empty for none. */
export function prefixFolder(prefix: string | undefined): string {
  return prefix ? `${prefix.replace(/\/+$/, "")}/` : "";
}

/** The stored name of `key` under `folder`; drivers never trust a key to be safe, even a normalised one. */
export function storedName(folder: string, key: string): string {
  if (normaliseKey(key) !== key) throw new InvalidKeyError(`key ${JSON.stringify(key)} is not in canonical form`);
  return folder + key;
}

/**
 * A bucket (container) that does not exist: a configuration to fix, named by
 * its field, never NOT_FOUND (Argo would take that for a missing artifact).
 */
export function missingContainer(field: string, where: string, remedy: string, cause?: unknown): InvalidConfigError {
  return new InvalidConfigError(`${field}: ${where} does not exist; ${remedy}`, { cause });
}

/** Node's codes for a connection that could not be made or broke: transient, worth retrying later. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/**
 * Whether `error` (or what caused it) is a TLS handshake that met a server
 * speaking plain HTTP: an `https://` endpoint on a plain-HTTP port.
 */
export function isPlainHttpAnswer(error: unknown): boolean {
  for (
    let e = error as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (
      e.code === "ERR_SSL_WRONG_VERSION_NUMBER" ||
      /wrong version number|packet length too long/i.test(e.message ?? "")
    )
      return true;
  }
  return false;
}

/** The error for an `https://` endpoint that answers plain HTTP (`where` names it; `fix` says which field to change). */
export function plainHttpError(where: string, fix: string, cause: unknown): UnavailableError {
  return new UnavailableError(`${where} answered plain HTTP to a TLS (https) request; ${fix}`, { cause });
}

/**
 * Destroys `body` with an AbortError when `signal` aborts, so that a body
 * that stalls cannot hold a cancelled upload. Returns the undo.
 */
export function destroyOnAbort(body: Readable, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const cancel = () => body.destroy(Object.assign(new Error("the upload was cancelled"), { name: "AbortError" }));
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

/** Deletes every listed object with `deleteOne`, `limit` at a time; resolves with how many it deleted. */
export async function deleteListed(
  objects: AsyncIterable<ObjectInfo>,
  limit: number,
  deleteOne: (key: string) => Promise<boolean>,
): Promise<number> {
  let deleted = 0;
  await forEachConcurrently(objects, limit, async (object) => {
    if (await deleteOne(object.key)) deleted++;
  });
  return deleted;
}
