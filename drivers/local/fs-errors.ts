/** Folds Node filesystem errors into the plugin's error classes. */
import {
  errnoCode,
  InvalidKeyError,
  NotFoundError,
  PermissionDeniedError,
  PluginError,
  ResourceExhaustedError,
  UnavailableError,
} from "../../src/errors.ts";

/** Translates `error`, raised while working on object `key`, into a PluginError where one fits. */
export function foldFsError(error: unknown, key: string): unknown {
  if (error instanceof PluginError) return error;
  const options = { cause: error };
  switch (errnoCode(error)) {
    case "ENOENT":
      return new NotFoundError(`object '${key}' not found`, options);
    case "EACCES":
    case "EPERM":
      return new PermissionDeniedError(`permission denied on the local store for '${key}'`, options);
    case "ENOSPC":
    case "EDQUOT":
      return new ResourceExhaustedError(`the local store is full while writing '${key}'`, options);
    case "EROFS":
      return new UnavailableError(`the local store is read-only; cannot write '${key}'`, options);
    case "ENAMETOOLONG":
      return new InvalidKeyError(`key '${key}' has a segment too long for the local filesystem`, options);
    default:
      return error;
  }
}
