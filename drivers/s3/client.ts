/**
 * The S3 client for one configuration: endpoint and addressing style as
 * Argo's S3 driver (minio-go) chooses them, TLS trust, credentials, retries
 * and checksum behaviour. One client (and its connection pool) serves every
 * call of a driver.
 */

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { rootCertificates } from "node:tls";
import { S3Client } from "@aws-sdk/client-s3";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  BuildMiddleware,
  MetadataBearer,
} from "@smithy/types";
import { InvalidConfigError } from "../../src/errors.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import type { S3Config } from "./config.ts";
import { SigningSha256 } from "./signing-hash.ts";

/** Connections kept per driver; enough for 4 concurrent part uploads × several calls. */
const MAX_SOCKETS = 64;
/**
 * A socket idle this long is given up. Long enough for a downstream reader
 * (the Argo UI behind argo-server) to pause a download, short enough that a
 * hung server does not hold a call forever.
 */
const SOCKET_IDLE_MS = 5 * 60_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** Transient failures (throttling, 5xx, resets, timeouts) are retried this often unless `maxRetries` says otherwise. */
export const DEFAULT_MAX_RETRIES = 5;

/** The endpoint as a URL: `my-minio.default:9000` gets `https://`, or `http://` with `insecure: true`, as in Argo. */
export function endpointUrl(config: Pick<S3Config, "endpoint" | "insecure">): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(config.endpoint)
    ? config.endpoint
    : `${config.insecure ? "http" : "https"}://${config.endpoint}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidConfigError("s3.endpoint: expected a host[:port] or an http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidConfigError("s3.endpoint: expected http:// or https://");
  if (url.username || url.password)
    throw new InvalidConfigError(
      "s3.endpoint: credentials in the URL are not supported; use accessKeySecret and secretKeySecret",
    );
  return url;
}

/** AWS's own endpoints (`s3.amazonaws.com`, `s3.eu-west-1.amazonaws.com`, `s3.dualstack...`). */
function isAws(url: URL): boolean {
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(url.hostname);
}

/**
 * Virtual-hosted style where the store is known to want it (AWS) and the
 * bucket name can be a DNS label under TLS (no dots); path style everywhere
 * else (MinIO, Ceph, in-cluster services), as minio-go's automatic lookup does.
 */
export function usePathStyle(config: S3Config, url: URL): boolean {
  if (config.forcePathStyle !== undefined) return config.forcePathStyle;
  return !(isAws(url) && !config.bucket.includes("."));
}

/** The region to sign for: configured, read from an AWS endpoint's name, or us-east-1 (which MinIO accepts). */
export function regionOf(config: S3Config, url: URL): string {
  if (config.region) return config.region;
  const match = /^s3[.-](?:dualstack\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com/.exec(url.hostname);
  return match?.[1] ?? "us-east-1";
}

export async function createS3Client(config: S3Config, secrets: SecretResolver): Promise<S3Client> {
  const url = endpointUrl(config);
  const region = regionOf(config, url);
  const extraCa = config.caFile
    ? await readFile(config.caFile, "utf8").catch((error: unknown) => {
        throw new InvalidConfigError(`s3.caFile: cannot read ${config.caFile}: ${(error as Error).message}`);
      })
    : config.caSecret
      ? await secrets.resolve(config.caSecret, "s3.caSecret")
      : undefined;
  const agentOptions = { keepAlive: true, maxSockets: MAX_SOCKETS };
  const client = new S3Client({
    endpoint: url.toString(),
    region,
    forcePathStyle: usePathStyle(config, url),
    // AWS answers a request sent to the wrong region with a redirect; follow it
    // instead of failing, so `region` can be left out for AWS buckets.
    followRegionRedirects: true,
    credentials: credentialsFor(config, secrets, region),
    maxAttempts: (config.maxRetries ?? DEFAULT_MAX_RETRIES) + 1,
    retryMode: "standard", // exponential backoff with full jitter; throttling, 5xx and network errors
    requestChecksumCalculation: config.requestChecksumCalculation ?? "WHEN_REQUIRED",
    responseChecksumValidation: config.requestChecksumCalculation ?? "WHEN_REQUIRED", // one knob, both ways
    sha256: SigningSha256, // signing-hash.ts: HMAC keys as KeyObjects, about 30 µs less per request
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent({ ...agentOptions, ca: extraCa ? [...rootCertificates, extraCa] : undefined }),
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: SOCKET_IDLE_MS,
    }),
  });
  if ((config.requestChecksumCalculation ?? "WHEN_REQUIRED") === "WHEN_REQUIRED")
    client.middlewareStack.add(contentMd5ForDeleteObjects, {
      step: "build",
      name: "contentMd5ForDeleteObjects",
      priority: "low",
    });
  return client;
}

/**
 * DeleteObjects is the one call S3 requires a checksum on. SDKs since 3.729
 * send only a CRC32 header there, which Ceph RGW, Swift's s3api and older
 * MinIO refuse ("Missing required header for this request: Content-MD5").
 * In the compatible mode the request carries Content-MD5, which every S3
 * implementation checks, instead.
 */
const contentMd5ForDeleteObjects: BuildMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
  const request = args.request as { body?: unknown; headers?: Record<string, string> };
  if (
    context.commandName === "DeleteObjectsCommand" &&
    request.headers &&
    (typeof request.body === "string" || request.body instanceof Uint8Array)
  ) {
    request.headers["content-md5"] = createHash("md5").update(request.body).digest("base64");
    for (const header of Object.keys(request.headers)) {
      if (header.startsWith("x-amz-checksum-") || header === "x-amz-sdk-checksum-algorithm")
        delete request.headers[header];
    }
  }
  return next(args);
};

/**
 * Credentials in Argo's order: keys from Secrets; else the SDK's default
 * chain (environment, web identity / IRSA, ECS, instance metadata), which is
 * also what Argo uses without keys. `roleARN` assumes that role with them.
 * Keys from Secrets are re-read when the resolver's cache expires, so a
 * rotated Secret is picked up without a restart.
 */
function credentialsFor(config: S3Config, secrets: SecretResolver, region: string): AwsCredentialIdentityProvider {
  let base: AwsCredentialIdentityProvider;
  const { accessKeySecret, secretKeySecret, sessionTokenSecret } = config;
  if (accessKeySecret && secretKeySecret) {
    base = async (): Promise<AwsCredentialIdentity> => {
      const [accessKeyId, secretAccessKey, sessionToken] = await Promise.all([
        secrets.resolve(accessKeySecret, "s3.accessKeySecret"),
        secrets.resolve(secretKeySecret, "s3.secretKeySecret"),
        sessionTokenSecret ? secrets.resolve(sessionTokenSecret, "s3.sessionTokenSecret") : undefined,
      ]);
      return {
        accessKeyId: accessKeyId.trim(),
        secretAccessKey: secretAccessKey.trim(),
        sessionToken: sessionToken?.trim(),
        expiration: new Date(Date.now() + 60_000), // ask again in a minute: Secrets rotate
      };
    };
  } else {
    base = fromNodeProviderChain();
  }
  if (!config.roleARN) return base;
  return fromTemporaryCredentials({
    params: { RoleArn: config.roleARN, RoleSessionName: "argo-multistore" },
    masterCredentials: base,
    clientConfig: { region },
  });
}
