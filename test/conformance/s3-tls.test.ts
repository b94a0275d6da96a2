/** The conformance suite against MinIO serving HTTPS with a certificate from a private CA, trusted through `caFile`. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createS3Driver } from "../../drivers/s3/index.ts";
import { makeCertificates } from "../helpers/tls.ts";
import { startS3Fixture } from "../s3/fixture.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite(
  "s3 (MinIO over TLS, caFile)",
  async () => {
    const tls = await makeCertificates();
    const dir = await mkdtemp(path.join(os.tmpdir(), "ca-"));
    const caFile = path.join(dir, "ca.crt");
    await writeFile(caFile, tls.ca);
    const s3 = await startS3Fixture({ tls, caFile });
    return {
      driver: createS3Driver(s3.config(), { secrets: s3.secrets }),
      secrets: s3.secrets,
      configuration: s3.yaml(),
      async teardown() {
        await s3.teardown();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
  { noObjectBesidePrefix: true },
);
