/**
 * Folds GCS failures into the plugin's error classes, with a message that
 * says what to fix. Called after the client's retries are spent.
 */
import {
  type InvalidConfigError,
  NotFoundError,
  PermissionDeniedError,
  PluginError,
  UnavailableError,
} from "../../src/errors.ts";
import { isPlainHttpAnswer, missingContainer, NETWORK_ERROR_CODES, plainHttpError } from "../object-store.ts";

export interface GcsTarget {
  endpoint: string;
  bucket: string;
  /** The object's key as the user wrote it (without keyPrefix). */
  key?: string;
}

interface ApiErrorLike {
  name?: string;
  code?: number | string;
  message?: string;
  errors?: { reason?: string; message?: string }[];
}

export function gcsError(error: unknown, target: GcsTarget): Error {
  if (error instanceof PluginError) return error;
  const e = (error ?? {}) as ApiErrorLike;
  if (e.name === "AbortError") return error as Error;
  const status = typeof e.code === "number" ? e.code : undefined;
  const message = (e.message ?? "").split("\n")[0] ?? "";
  const where = `bucket '${target.bucket}' at ${target.endpoint}`;
  const detail = message ? `: ${message}` : "";
  const options = { cause: error };

  if (status === 404 && (target.key === undefined || /specified bucket does not exist/i.test(message)))
    return missingBucket(target, error);
  if (status === 404) return new NotFoundError(`object '${target.key ?? ""}' not found in ${where}`, options);
  if (status === 401) {
    return new PermissionDeniedError(
      `${where} refused the credentials; check serviceAccountKeySecret (a service-account JSON key) or the pod's workload identity${detail}`,
      options,
    );
  }
  if (status === 403)
    return new PermissionDeniedError(
      `${where} denied access; the service account lacks permission for this call${detail}`,
      options,
    );
  if (status === 412)
    return new UnavailableError(
      `object '${target.key ?? ""}' in ${where} was replaced while being read; read it again`,
      options,
    );
  if (isPlainHttpAnswer(error)) return plainHttpError(where, "give gcs.endpoint as http://…", error);
  if ((status !== undefined && (status >= 500 || status === 429)) || NETWORK_ERROR_CODES.has(String(e.code ?? ""))) {
    return new UnavailableError(`${where} is unavailable (${status ?? e.code})${detail}`, options);
  }
  return new PluginError(`GCS call to ${where} failed (${status ?? e.code ?? e.name})${detail}`, options);
}

/** The error for a bucket that is not there: a configuration problem, never a missing artifact. */
export function missingBucket(target: GcsTarget, cause?: unknown): InvalidConfigError {
  return missingContainer("gcs.bucket", `bucket '${target.bucket}' at ${target.endpoint}`, "create it first", cause);
}
