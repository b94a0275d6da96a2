import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the Go test peers (MinIO, fake-gcs-server) once, before any test file runs.
    globalSetup: ["test/peers/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" line.
    reporters: ["default", ["json", { outputFile: ".cache/vitest-results.json" }]],
  },
});
