/**
 * Folds Azure Blob Storage failures into the plugin's error classes, with a
 * message that says what to fix. Called after the SDK's retry policy has
 * spent its retries on what was transient.
 */
import { NotFoundError, PermissionDeniedError, PluginError, UnavailableError } from "../../src/errors.ts";
import { isPlainHttpAnswer, missingContainer, NETWORK_ERROR_CODES, plainHttpError } from "../object-store.ts";

export interface AzureTarget {
  endpoint: string;
  container: string;
  /** The blob's key as the user wrote it (without blobPrefix). */
  key?: string;
}

interface RestErrorLike {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
}

export function azureError(error: unknown, target: AzureTarget): Error {
  if (error instanceof PluginError) return error;
  const e = (error ?? {}) as RestErrorLike;
  if (e.name === "AbortError") return error as Error;
  const code = e.details?.errorCode ?? e.code ?? "";
  const status = e.statusCode;
  const where = `container '${target.container}' at ${target.endpoint}`;
  const firstLine = (e.message ?? "").split("\n")[0] ?? "";
  const detail = firstLine ? `: ${firstLine}` : "";
  const options = { cause: error };

  if (code === "ContainerNotFound") {
    return missingContainer(
      "azure.container",
      where,
      "create it, or set createContainerIfNotPresent: true",
      options.cause,
    );
  }
  if (code === "BlobNotFound" || (status === 404 && target.key !== undefined)) {
    return new NotFoundError(`object '${target.key ?? ""}' not found in ${where}`, options);
  }
  if (
    status === 403 ||
    code === "AuthenticationFailed" ||
    code.startsWith("Authorization") ||
    e.name === "CredentialUnavailableError" ||
    e.name === "AuthenticationRequiredError"
  ) {
    // Azure answers a wrong key and a missing permission alike (403), often without a body to tell them apart.
    return new PermissionDeniedError(
      `${where} refused the request (${code || e.name || "HTTP 403"}); check accountKeySecret (an account key, or a SAS token with the permissions this call needs) or the pod's Azure identity`,
      options,
    );
  }
  if (code === "ConditionNotMet" || status === 412) {
    return new UnavailableError(
      `object '${target.key ?? ""}' in ${where} was replaced while being read; read it again`,
      options,
    );
  }
  if (code === "InvalidBlockList") {
    return new UnavailableError(
      `object '${target.key ?? ""}' in ${where}: another upload of the same blob committed first and discarded this one's blocks; upload again`,
      options,
    );
  }
  if (isPlainHttpAnswer(error)) return plainHttpError(where, "give azure.endpoint as http://…", error);
  if (
    (status !== undefined && status >= 500) ||
    status === 429 ||
    code === "REQUEST_SEND_ERROR" ||
    NETWORK_ERROR_CODES.has(e.code ?? "")
  ) {
    return new UnavailableError(`${where} is unavailable (${code || `HTTP ${status}`})${detail}`, options);
  }
  return new PluginError(`Azure call to ${where} failed (${code || `HTTP ${status}`})${detail}`, options);
}
