/** The conformance suite against the s3 backend on a real MinIO server. */
import { createS3Driver } from "../../drivers/s3/index.ts";
import { startS3Fixture } from "../s3/fixture.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite("s3 (MinIO)", async () => {
  const s3 = await startS3Fixture();
  return {
    driver: createS3Driver(s3.config(), { secrets: s3.secrets }),
    secrets: s3.secrets,
    configuration: s3.yaml(),
    teardown: s3.teardown,
  };
}, { noObjectBesidePrefix: true });
