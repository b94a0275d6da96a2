/**
 * The SHA-256 of a resumable upload, added once it is done: a resumable
 * upload takes metadata only when it starts, before the digest is known.
 */
import type { File } from "@google-cloud/storage";
import { SHA256_METADATA_KEY } from "../content-check.ts";

/** How long recording may take before the Save goes on without it. */
const RECORD_TIMEOUT_MS = 30_000;

/**
 * Adds `sha256` to the object `file`'s upload just made: only to that
 * generation, and only while its metadata is as the upload left it, so it
 * never lands on an object written since. Resolves with why it failed, if it did.
 */
export async function recordSha256(file: File, sha256: string): Promise<unknown> {
  const { generation, metageneration } = file.metadata;
  try {
    if (generation === undefined) throw new Error("the upload reported no generation");
    const options = { ifGenerationMatch: generation, ifMetagenerationMatch: metageneration ?? 1 };
    const patch = file.setMetadata({ metadata: { [SHA256_METADATA_KEY]: sha256 } }, options);
    patch.catch(() => {}); // settled later, or lost to the timeout
    // setMetadata takes no signal and retries for minutes: a store that hangs must not hold the Save.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${RECORD_TIMEOUT_MS / 1000} s`)), RECORD_TIMEOUT_MS);
    });
    await Promise.race([patch, late]).finally(() => clearTimeout(timer));
    return undefined;
  } catch (error) {
    // A retried patch that had already landed fails its precondition: look before reporting.
    const [now] = await file.getMetadata().catch(() => [undefined]);
    if (now?.generation === generation && now?.metadata?.[SHA256_METADATA_KEY] === sha256) return undefined;
    return error;
  }
}
