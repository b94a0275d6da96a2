/** The conformance suite against the s3 backend on a real MinIO server, with a fault proxy in front of it for the retry groups. */
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import { SHA256_TAG } from "../../drivers/s3/digest.ts";
import { createS3Driver, DEFAULT_PART_BYTES } from "../../drivers/s3/index.ts";
import { startFaultProxy } from "../helpers/fault-proxy.ts";
import { startS3Fixture } from "../s3/fixture.ts";
import { proxiedStore } from "./capabilities.ts";
import { runConformanceSuite } from "./suite.ts";

runConformanceSuite(
  "s3 (MinIO)",
  async () => {
    const s3 = await startS3Fixture();
    const proxied = proxiedStore(await startFaultProxy(s3.minio.url), (maxRetries) =>
      createS3Driver(
        s3.config({ endpoint: proxied.proxy.endpoint, ...(maxRetries === undefined ? {} : { maxRetries }) }),
        { secrets: s3.secrets },
      ),
    );
    return {
      driver: createS3Driver(s3.config(), { secrets: s3.secrets }),
      secrets: s3.secrets,
      configuration: s3.yaml(),
      proxied,
      behind: {
        // One part: in the metadata; multipart: in a tag, with the ETag it was made for (drivers/s3/digest.ts).
        recorded: async (key) => {
          const head = await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
          const inMetadata = head.Metadata?.["multistore-sha256"];
          if (inMetadata) return inMetadata;
          const tags = await s3.admin.send(new GetObjectTaggingCommand({ Bucket: s3.bucket, Key: key }));
          const tag = tags.TagSet?.find((t) => t.Key === SHA256_TAG)?.Value;
          if (!tag) return undefined;
          expect(tag.split("@")[1]).toBe(head.ETag?.replaceAll('"', ""));
          return tag.split("@")[0];
        },
        write: async (key, data, sha256) => {
          const Metadata = sha256 ? { "multistore-sha256": sha256 } : undefined;
          await s3.admin.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: data, Metadata }));
        },
      },
      async teardown() {
        await proxied.close();
        await s3.teardown();
      },
    };
  },
  {
    noObjectBesidePrefix: true,
    partBytes: DEFAULT_PART_BYTES,
    // A multipart upload cannot carry the digest yet (S3 takes metadata before the first part): one part only.
    digests: true,
    faults: {
      uploadMethod: "PUT",
      retryable: [
        { kind: "error", status: 503, code: "SlowDown" },
        { kind: "error", status: 500, code: "InternalError" },
      ],
      isDownload: (method, url, name) => method === "GET" && url.includes(name),
      hasMaxRetries: true,
      verifiesContent: true,
    },
    // Unknown length, as from SaveStream: 16 MiB parts, 4 in flight + 1 being filled + 1 held back = 96 MiB of reused buffers.
    memory: { bytes: 2048 * 1024 * 1024, maxGrowthMiB: 6 * 16 + 64 },
  },
);
