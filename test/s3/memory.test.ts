/**
 * A 2 GiB upload streams: memory grows by a few parts, not by the object.
 * The body is generated on the fly (never held whole), sent through the
 * driver into MinIO in 16 MiB parts, 4 in flight; the process's resident
 * memory is sampled throughout.
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createS3Driver } from "../../drivers/s3/index.ts";
import { uniquePrefix } from "../helpers/data.ts";
import { generatedBody, peakRssGrowthMiB } from "../helpers/memory.ts";
import { startS3Fixture, type S3Fixture } from "./fixture.ts";

const MiB = 1024 * 1024;
const SIZE = 2048 * MiB;
let s3: S3Fixture;

beforeAll(async () => {
  s3 = await startS3Fixture();
});
afterAll(() => s3?.teardown());

it("uploads 2 GiB with memory bounded by the parts in flight", { timeout: 300_000 }, async () => {
  const driver = createS3Driver(s3.config(), { secrets: s3.secrets });
  global.gc?.();
  const key = `${uniquePrefix()}/two-gib.bin`;
  // Unknown length, as from SaveStream: the default 16 MiB parts.
  const growth = await peakRssGrowthMiB(() => driver.put(key, generatedBody(SIZE, 0xa5)).finally(() => driver.dispose()));
  const head = await s3.admin.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
  expect(head.ContentLength).toBe(SIZE);
  // 4 parts in flight + 1 being filled + 1 held back = 96 MiB of reused part buffers, plus slack.
  expect(growth).toBeLessThan(6 * 16 + 64); // measured here: 101 MiB
});
