/**
 * Folds S3's failures into the plugin's error classes, with a message that
 * says what to fix. Called once per failed call, after the SDK has spent its
 * retries on whatever was transient.
 */
import {
  DataLossError,
  type InvalidConfigError,
  NotFoundError,
  PermissionDeniedError,
  PluginError,
  UnavailableError,
} from "../../src/errors.ts";
import { isPlainHttpAnswer, missingContainer, NETWORK_ERROR_CODES, plainHttpError } from "../object-store.ts";

/** What the failed call was about, for the message. */
export interface S3Target {
  endpoint: string;
  bucket: string;
  /** The object's key as the user wrote it (without keyPrefix). */
  key?: string;
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const TLS_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const CREDENTIAL_CODES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
]);

export function s3Error(error: unknown, target: S3Target): Error {
  if (error instanceof PluginError) return error;
  const e = (error ?? {}) as SdkError;
  if (e.name === "AbortError") return error as Error;
  const status = e.$metadata?.httpStatusCode;
  const code = e.name ?? e.code ?? "";
  const where = `bucket '${target.bucket}' at ${target.endpoint}`;
  const detail = e.message && e.message !== code && e.message !== "UnknownError" ? `: ${e.message}` : "";
  const options = { cause: error };

  if (code === "NoSuchBucket") return missingBucket(target, error);
  if (code === "NoSuchUpload") {
    // A retried CompleteMultipartUpload whose first try succeeded, or an upload aborted under us.
    return new UnavailableError(
      `${where}: the multipart upload of '${target.key ?? ""}' is gone (completed or aborted meanwhile); upload again`,
      options,
    );
  }
  if (code === "NoSuchKey" || code === "NotFound" || (status === 404 && target.key !== undefined)) {
    return new NotFoundError(`object '${target.key ?? ""}' not found in ${where}`, options);
  }
  if (CREDENTIAL_CODES.has(code)) {
    return new PermissionDeniedError(
      `${where} refused the credentials (${code}); check accessKeySecret and secretKeySecret (or the SDK credentials in use)${detail}`,
      options,
    );
  }
  if (code === "CredentialsProviderError" || code === "ProviderError") {
    return new PermissionDeniedError(
      `no S3 credentials: set accessKeySecret and secretKeySecret, or give the pod an IAM role${detail}`,
      options,
    );
  }
  if (status === 403 || code === "AccessDenied") {
    return new PermissionDeniedError(
      `${where} denied access (${code || "HTTP 403"}); the credentials lack permission for this call${detail}`,
      options,
    );
  }
  if (status === 400 && /encrypt|SSE|customer/i.test(e.message ?? "")) {
    return new PermissionDeniedError(
      `object '${target.key ?? ""}' in ${where} is encrypted with a customer key (SSE-C) that is missing or different from encryptionOptions.serverSideCustomerKeySecret${detail}`,
      options,
    );
  }
  if (code === "InvalidObjectState")
    return new PermissionDeniedError(
      `object '${target.key ?? ""}' in ${where} is archived and must be restored first${detail}`,
      options,
    );
  if (code === "BadDigest" || code === "XAmzContentChecksumMismatch" || code === "InvalidDigest") {
    return new DataLossError(
      `${where} received data that did not match its checksum (${code}); nothing was stored`,
      options,
    );
  }
  if (code === "PreconditionFailed" || status === 412) {
    return new UnavailableError(
      `object '${target.key ?? ""}' in ${where} was replaced while being read; read it again`,
      options,
    );
  }
  if (isPlainHttpAnswer(error))
    return plainHttpError(where, "give the endpoint as http://…, or without a scheme and with insecure: true", error);
  if (TLS_CODES.has(e.code ?? "") || TLS_CODES.has(code)) {
    return new UnavailableError(
      `${where}: the server's TLS certificate is not trusted (${e.code ?? code}); give its CA with s3.caFile or s3.caSecret`,
      options,
    );
  }
  const attempts = e.$metadata?.attempts ?? 1;
  const after = attempts > 1 ? ` after ${attempts} attempts` : "";
  if (
    (status !== undefined && (status >= 500 || status === 429)) ||
    code === "SlowDown" ||
    code === "TimeoutError" ||
    NETWORK_ERROR_CODES.has(code) ||
    NETWORK_ERROR_CODES.has(e.code ?? "")
  ) {
    return new UnavailableError(`${where} is unavailable${after} (${code || `HTTP ${status}`})${detail}`, options);
  }
  return new PluginError(`S3 call to ${where} failed${after} (${code || `HTTP ${status}`})${detail}`, options);
}

/** The error for a bucket that is not there: a configuration problem, never a missing artifact. */
export function missingBucket(target: S3Target, cause?: unknown): InvalidConfigError {
  return missingContainer(
    "s3.bucket",
    `bucket '${target.bucket}' at ${target.endpoint}`,
    "create it, or set createBucketIfNotPresent: {}",
    cause,
  );
}
