/**
 * Vitest global setup: builds the Go test peers once, before any test file
 * runs, so that no test's timeout includes a first-run build.
 * `MULTISTORE_PREBUILD_PEERS=0` skips it, for running tests that start no
 * peer (`test/local`, the unit tests) on a machine without Go; a peer is
 * then built when a test first starts it.
 */
import { FAKE_GCS } from "./fake-gcs.ts";
import { ensureGoPeer } from "./go-binary.ts";
import { ensureInterop } from "./interop.ts";
import { MINIO } from "./minio.ts";

export default async function setup(): Promise<void> {
  if (process.env["MULTISTORE_PREBUILD_PEERS"] === "0") return;
  await Promise.all([ensureGoPeer(MINIO), ensureGoPeer(FAKE_GCS), ensureInterop()]);
}
