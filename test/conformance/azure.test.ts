/** The conformance suite against the azure backend on Azurite, once with the account key and once with a SAS token. */
import { BLOCK_BYTES, createAzureDriver } from "../../drivers/azure/index.ts";
import { AZURE_SHA256_METADATA_KEY } from "../../drivers/azure/upload.ts";
import { startAzureFixture } from "../azure/fixture.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { proxiedStore } from "./capabilities.ts";
import { runConformanceSuite } from "./suite.ts";

for (const [label, key] of [
  ["account key", "accountKey"],
  ["SAS token", "sas"],
] as const) {
  runConformanceSuite(
    `azure (Azurite, ${label})`,
    async () => {
      const azure = await startAzureFixture();
      const extra = { accountKeySecret: { name: "azure", key } };
      const proxied = proxiedStore(await startFaultProxy(new URL(azure.azurite.endpoint).origin), () => {
        const endpoint = `http://${proxied.proxy.endpoint}${new URL(azure.azurite.endpoint).pathname}`;
        return createAzureDriver(azure.config({ ...extra, endpoint }), { secrets: azure.secrets });
      });
      return {
        driver: createAzureDriver(azure.config(extra), { secrets: azure.secrets }),
        secrets: azure.secrets,
        configuration: azure.yaml(extra),
        proxied,
        behind: {
          recorded: async (name) =>
            (await azure.admin.getBlobClient(name).getProperties()).metadata?.[AZURE_SHA256_METADATA_KEY],
          write: async (name, data, sha256) => {
            const metadata = sha256 ? { [AZURE_SHA256_METADATA_KEY]: sha256 } : undefined;
            await azure.admin.getBlockBlobClient(name).upload(data, data.length, { metadata });
          },
        },
        async teardown() {
          await proxied.close();
          await azure.teardown();
        },
      };
    },
    {
      partBytes: BLOCK_BYTES,
      digests: true,
      faults: {
        uploadMethod: "PUT",
        retryable: [
          { kind: "error", status: 503, code: "ServerBusy" },
          { kind: "error", status: 500, code: "InternalError" },
        ],
        isDownload: (method, url, name) => method === "GET" && url.includes(name),
        hasMaxRetries: false,
        verifiesContent: true,
      },
      // Once is enough: the credential does not change how a body streams. 4 blocks of 8 MiB in flight, buffers the SDK reuses.
      ...(key === "accountKey" ? { memory: { bytes: 1024 * 1024 * 1024, maxGrowthMiB: 160 } } : {}),
    },
  );
}
