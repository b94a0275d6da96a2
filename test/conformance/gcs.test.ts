/** The conformance suite against the gcs backend on fake-gcs-server, with a fault proxy in front of it for the retry groups. */
import { CHUNK_BYTES, createGcsDriver } from "../../drivers/gcs/index.ts";
import { startGcsFixture } from "../gcs/fixture.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { proxiedStore } from "./capabilities.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite(
  "gcs (fake-gcs-server)",
  async () => {
    const gcs = await startGcsFixture();
    const proxied = proxiedStore(await startFaultProxy(gcs.server.url), (maxRetries) =>
      createGcsDriver(
        gcs.config({
          endpoint: `http://${proxied.proxy.endpoint}`,
          ...(maxRetries === undefined ? {} : { maxRetries }),
        }),
        { secrets: gcs.secrets },
      ),
    );
    return {
      driver: createGcsDriver(gcs.config(), { secrets: gcs.secrets }),
      secrets: gcs.secrets,
      configuration: gcs.yaml(),
      proxied,
      behind: {
        recorded: async (key) =>
          (await gcs.admin.bucket(gcs.bucket).file(key).getMetadata())[0].metadata?.["multistore-sha256"] as
            | string
            | undefined,
        write: async (key, data, sha256) => {
          const metadata = sha256 ? { metadata: { "multistore-sha256": sha256 } } : undefined;
          await gcs.admin.bucket(gcs.bucket).file(key).save(data, { resumable: false, metadata });
        },
      },
      async teardown() {
        await proxied.close();
        await gcs.teardown();
      },
    };
  },
  {
    partBytes: CHUNK_BYTES,
    digests: true,
    faults: {
      uploadMethod: "POST",
      retryable: [
        { kind: "error", status: 429, code: "rateLimitExceeded" },
        { kind: "error", status: 503, code: "backendError" },
      ],
      isDownload: (method, url, name) => method === "GET" && url.includes("alt=media") && url.includes(name),
      hasMaxRetries: true,
      verifiesContent: true,
    },
    // 256 MiB: 16 chunks already show that memory does not grow with them, and the emulator is slow to take them.
    memory: { bytes: 256 * 1024 * 1024, maxGrowthMiB: 160 },
  },
);
