/**
 * Vitest global setup: builds the Go test peers once, before any test file
 * runs, so that no test's timeout includes a first-run build.
 */
import { ensureGoPeer } from "./go-binary.ts";
import { MINIO } from "./minio.ts";

export default async function setup(): Promise<void> {
  await ensureGoPeer(MINIO);
}
