/** The conformance suite against the azure backend on Azurite, once with the account key and once with a SAS token. */
import { createAzureDriver } from "../../drivers/azure/index.ts";
import { startAzureFixture } from "../azure/fixture.ts";
import { runConformanceSuite } from "./suite.ts";

for (const [label, key] of [["account key", "accountKey"], ["SAS token", "sas"]] as const) {
  runConformanceSuite(`azure (Azurite, ${label})`, async () => {
    const azure = await startAzureFixture();
    process.env.MULTISTORE_SECRETS_DIR = azure.secretsDir;
    const extra = { accountKeySecret: { name: "azure", key } };
    return {
      driver: createAzureDriver(azure.config(extra), azure.secrets),
      configuration: azure.yaml(extra),
      teardown: azure.teardown,
    };
  });
}
