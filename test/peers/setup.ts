/**
 * Vitest global setup: builds the Go test peers once, before any test file
 * runs, so that no test's timeout includes a first-run build.
 */
import { FAKE_GCS } from "./fake-gcs.ts";
import { ensureGoPeer } from "./go-binary.ts";
import { ensureInterop } from "./interop.ts";
import { MINIO } from "./minio.ts";

export default async function setup(): Promise<void> {
  await Promise.all([ensureGoPeer(MINIO), ensureGoPeer(FAKE_GCS), ensureInterop()]);
}
