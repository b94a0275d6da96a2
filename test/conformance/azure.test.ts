/** The conformance suite against the azure backend on Azurite, once with the account key and once with a SAS token. */
import { createAzureDriver } from "../../drivers/azure/index.ts";
import { startAzureFixture } from "../azure/fixture.ts";
import { runConformanceSuite } from "./suite.ts";

for (const [label, key] of [["account key", "accountKey"], ["SAS token", "sas"]] as const) {
  runConformanceSuite(`azure (Azurite, ${label})`, async () => {
    const azure = await startAzureFixture();
    const extra = { accountKeySecret: { name: "azure", key } };
    return {
      driver: createAzureDriver(azure.config(extra), { secrets: azure.secrets }),
      secrets: azure.secrets,
      configuration: azure.yaml(extra),
      teardown: azure.teardown,
    };
  });
}
