import os from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the Go test peers (MinIO, fake-gcs-server) once, before any test file runs.
    globalSetup: ["test/peers/setup.ts"],
    // Tests talk to loopback servers only: never to a cluster's API server or a cloud metadata endpoint,
    // even when the tests run inside a pod or a cloud VM.
    // Tests stage their files in the temp folder: that is where Save and Load may go (MULTISTORE_PATHS).
    env: {
      KUBERNETES_SERVICE_HOST: "",
      MULTISTORE_SERVICE_ACCOUNT_DIR: "/nonexistent",
      AWS_EC2_METADATA_DISABLED: "true",
      MULTISTORE_PATHS: os.tmpdir(),
    },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".cache/vitest-results.json" }]],
  },
});
