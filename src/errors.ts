/**
 * The plugin's error vocabulary. Drivers fold their provider's failures
 * (ENOENT, NoSuchKey, BlobNotFound, HTTP 404, ...) into these classes where
 * they happen; `toRpcError` is the one place that turns any error into the
 * gRPC status code and the human-readable text that Argo shows its users.
 */
import { status } from "@grpc/grpc-js";
import { redact } from "./redact.ts";

/** Base class: every error the plugin raises on purpose. */
export class PluginError extends Error {
  /** The gRPC status this error is reported with. */
  readonly code: status = status.INTERNAL;
}

/** The artifact (object or directory) does not exist. */
export class NotFoundError extends PluginError {
  override readonly code = status.NOT_FOUND;
}

/** The request itself is wrong: a bad path, a malformed stream, a missing field. */
export class InvalidRequestError extends PluginError {
  override readonly code = status.INVALID_ARGUMENT;
}

/** The artifact's `configuration` failed to parse or validate; the message names the field. */
export class InvalidConfigError extends InvalidRequestError {}

/** A key that is empty, absolute, has `..` segments or NUL bytes, or cannot be stored. */
export class InvalidKeyError extends InvalidRequestError {}

/** The backend refused us: bad credentials, missing permission. */
export class PermissionDeniedError extends PluginError {
  override readonly code = status.PERMISSION_DENIED;
}

/** Out of space or quota: a full disk on the plugin's side, or a store that refuses more. */
export class ResourceExhaustedError extends PluginError {
  override readonly code = status.RESOURCE_EXHAUSTED;
}

/** The backend could not be reached or is not ready; trying again later may work. */
export class UnavailableError extends PluginError {
  override readonly code = status.UNAVAILABLE;
}

/** Stored data is damaged or too much of it is missing to rebuild: the object cannot be read. */
export class DataLossError extends PluginError {
  override readonly code = status.DATA_LOSS;
}

/** The call asks for something this backend cannot do (healing a store that repairs itself). */
export class UnimplementedError extends PluginError {
  override readonly code = status.UNIMPLEMENTED;
}

/** The client went away (cancelled the call); nothing is reported back to it. */
export class CancelledError extends PluginError {
  override readonly code = status.CANCELLED;
  constructor(message = "the client cancelled the call") {
    super(message);
  }
}

/** What a failed call reports: the gRPC status and the text for the in-band `error` field. */
export interface RpcError {
  code: status;
  message: string;
}

/**
 * Maps any thrown value to what the client sees. Errors we did not raise on
 * purpose become INTERNAL with their message kept (an fs error names the path,
 * which the operator needs); every message passes through secret redaction.
 */
export function toRpcError(error: unknown): RpcError {
  if (error instanceof PluginError) {
    return { code: error.code, message: redact(error.message) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, message: redact(`internal error: ${message}`) };
}

/**
 * Trailing metadata key carrying the status name of an in-band failure (a
 * reply with `success: false`), which our client reads back as the code.
 */
export const ERROR_CODE_METADATA = "artifact-error-code";

/** The name of a gRPC status code, e.g. `NOT_FOUND`, for logs and the CLI. */
export function statusName(code: status): string {
  return status[code] ?? String(code);
}

/** The errno code of a Node system error (`ENOENT`, ...), if it is one. */
export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : undefined;
}
