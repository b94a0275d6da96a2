/** The conformance suite against the gcs backend on fake-gcs-server. */
import { createGcsDriver } from "../../drivers/gcs/index.ts";
import { startGcsFixture } from "../gcs/fixture.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite("gcs (fake-gcs-server)", async () => {
  const gcs = await startGcsFixture();
  return {
    driver: createGcsDriver(gcs.config(), { secrets: gcs.secrets }),
    secrets: gcs.secrets,
    configuration: gcs.yaml(),
    teardown: gcs.teardown,
  };
});
