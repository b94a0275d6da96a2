/**
 * Secret resolution: the mounted-volume layout, then the Kubernetes API. The
 * API double is a loopback HTTPS server with its own CA that answers the one
 * call we make, `GET /api/v1/namespaces/<ns>/secrets/<name>`, with the bodies
 * the API server sends: a v1 Secret with base64 `data`, or a v1 Status.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Driver } from "../drivers/s3/index.ts";
import { InvalidConfigError, PermissionDeniedError, toRpcError } from "../src/errors.ts";
import { redact } from "../src/redact.ts";
import { SecretResolver, type SecretResolverOptions, secretOptionsFromEnv } from "../src/secrets.ts";
import { collect } from "./helpers/data.ts";
import { makeCertificates } from "./helpers/tls.ts";
import { type S3Fixture, startS3Fixture } from "./s3/fixture.ts";

/** A token shaped as Kubernetes issues them: a JWT whose subject names the service account. */
const TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: "system:serviceaccount:argo:argo-executor" })).toString("base64url")}.signature`;
let root: string;
let secretsDir: string;
let serviceAccountDir: string;
let api: https.Server;
let apiServer: string;
const seen: { path: string; authorization?: string }[] = [];
/** The API's Secrets, by namespace/name; values as plain text (sent base64, as the API does). */
const stored = new Map<string, Record<string, string>>();

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "secrets-test-"));
  secretsDir = path.join(root, "mounted");
  serviceAccountDir = path.join(root, "serviceaccount");
  await mkdir(path.join(secretsDir, "minio-creds"), { recursive: true });
  await writeFile(path.join(secretsDir, "minio-creds", "accesskey"), "mounted-access");
  await mkdir(serviceAccountDir);
  const tls = await makeCertificates();
  await writeFile(path.join(serviceAccountDir, "token"), `${TOKEN}\n`);
  await writeFile(path.join(serviceAccountDir, "ca.crt"), tls.ca);
  await writeFile(path.join(serviceAccountDir, "namespace"), "argo");

  api = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    seen.push({ path: req.url ?? "", authorization: req.headers.authorization });
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, status(401, "Unauthorized", "Unauthorized"));
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/?]+)$/.exec(req.url ?? "");
    if (!match || req.method !== "GET")
      return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    const [, namespace, name] = match as unknown as [string, string, string];
    if (name === "forbidden") {
      return send(
        403,
        status(
          403,
          "Forbidden",
          `secrets "${name}" is forbidden: User "system:serviceaccount:${namespace}:default" cannot get resource "secrets"`,
        ),
      );
    }
    if (name === "forbidden-quietly") return send(403, status(403, "Forbidden", "forbidden"));
    const data = stored.get(`${namespace}/${name}`);
    if (!data) return send(404, status(404, "NotFound", `secrets "${name}" not found`));
    send(200, {
      kind: "Secret",
      apiVersion: "v1",
      metadata: {
        name,
        namespace,
        uid: "8f1c2d7e-0000-4000-8000-000000000001",
        resourceVersion: "4711",
        creationTimestamp: "2026-11-01T10:00:00Z",
      },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
      type: "Opaque",
    });
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  apiServer = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  await rm(root, { recursive: true, force: true });
});

function resolver(extra: Partial<SecretResolverOptions> = {}): SecretResolver {
  return new SecretResolver({ secretsDir, serviceAccountDir, apiServer, ttlMs: 60_000, ...extra });
}

describe("secret resolution", () => {
  it("reads a mounted Secret first, without asking the API", async () => {
    const before = seen.length;
    expect(await resolver().resolve({ name: "minio-creds", key: "accesskey" }, "s3.accessKeySecret")).toBe(
      "mounted-access",
    );
    expect(seen.length).toBe(before);
  });

  it("asks the Kubernetes API in the pod's namespace with the service-account token", async () => {
    stored.set("argo/s3-keys", { secretkey: "from-the-api", other: "unused" });
    const value = await resolver().resolve({ name: "s3-keys", key: "secretkey" }, "s3.secretKeySecret");
    expect(value).toBe("from-the-api");
    expect(seen.at(-1)).toEqual({ path: "/api/v1/namespaces/argo/secrets/s3-keys", authorization: `Bearer ${TOKEN}` });
  });

  it("caches a value for its time to live, then sees a rotation", async () => {
    stored.set("argo/rotating", { key: "v1" });
    const cached = resolver({ ttlMs: 60_000 });
    expect(await cached.resolve({ name: "rotating", key: "key" }, "f")).toBe("v1");
    stored.set("argo/rotating", { key: "v2" });
    expect(await cached.resolve({ name: "rotating", key: "key" }, "f")).toBe("v1");
    const shortLived = resolver({ ttlMs: 0 });
    expect(await shortLived.resolve({ name: "rotating", key: "key" }, "f")).toBe("v2");
  });

  it("names the Secret, key and field when something is missing, never a value", async () => {
    stored.set("argo/partial", { present: "the-secret-value" });
    const r = resolver();
    await expect(r.resolve({ name: "partial", key: "absent" }, "s3.accessKeySecret")).rejects.toThrow(
      new InvalidConfigError("s3.accessKeySecret: Secret 'partial' in namespace 'argo' has no key 'absent'"),
    );
    await expect(r.resolve({ name: "nowhere", key: "k" }, "gcs.serviceAccountKeySecret")).rejects.toThrow(
      "gcs.serviceAccountKeySecret: Secret 'nowhere' in namespace 'argo' not found",
    );
  });

  it("says which RBAC is missing when the API forbids the read", async () => {
    const failure = resolver().resolve({ name: "forbidden", key: "k" }, "s3.accessKeySecret");
    await expect(failure).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(failure).rejects.toThrow(
      /service account 'default' of namespace 'argo' may not read Secret 'forbidden' in namespace 'argo' \(HTTP 403\); grant it 'get'/,
    );
    // A Status that names nobody: the account comes from the token's subject.
    await expect(resolver().resolve({ name: "forbidden-quietly", key: "k" }, "s3.accessKeySecret")).rejects.toThrow(
      /service account 'argo-executor' of namespace 'argo' may not read Secret 'forbidden-quietly' in namespace 'argo' \(HTTP 403\)/,
    );
  });

  it("outside a cluster, says where it looked", async () => {
    await expect(
      resolver({ apiServer: undefined }).resolve({ name: "s", key: "k" }, "s3.accessKeySecret"),
    ).rejects.toThrow(
      `s3.accessKeySecret: Secret 's' key 'k' not found: no file ${path.join(secretsDir, "s", "k")}, and no Kubernetes API to ask (KUBERNETES_SERVICE_HOST is not set)`,
    );
  });

  it("refuses names that would leave the secrets folder", async () => {
    await expect(resolver().resolve({ name: "..", key: "etc" }, "f")).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(resolver().resolve({ name: "a", key: "../../token" }, "f")).rejects.toBeInstanceOf(InvalidConfigError);
  });

  it("redacts every resolved value and the token from error texts", async () => {
    stored.set("argo/leaky", { key: "hunter2-but-longer" });
    await resolver().resolve({ name: "leaky", key: "key" }, "f");
    expect(redact("provider said: hunter2-but-longer was refused")).toBe("provider said: [REDACTED] was refused");
    expect(toRpcError(new Error(`bad token ${TOKEN}`)).message).not.toContain(TOKEN);
  });

  it("finds the API from the variables Kubernetes sets in every pod", () => {
    const options = secretOptionsFromEnv({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" });
    expect(options.apiServer).toBe("https://[fd00::1]:443");
    expect(options.secretsDir).toBe("/var/run/secrets/multistore");
    expect(secretOptionsFromEnv({}).apiServer).toBeUndefined();
    expect(secretOptionsFromEnv({ MULTISTORE_SECRETS_NAMESPACES: " team-a, team-b ,," }).allowedNamespaces).toEqual([
      "team-a",
      "team-b",
    ]);
    expect(secretOptionsFromEnv({}).allowedNamespaces).toEqual([]);
  });
});

describe("a configuration's secretsNamespace", () => {
  let s3: S3Fixture;
  beforeAll(async () => {
    s3 = await startS3Fixture();
    // MinIO's keys live only in the workflow's namespace, not in the pod's ('argo').
    stored.set("team-a/minio", { accessKey: s3.minio.accessKey, secretKey: s3.minio.secretKey });
  });
  afterAll(() => s3?.teardown());
  const config = (secretsNamespace?: string) =>
    s3.config({
      accessKeySecret: { name: "minio", key: "accessKey" },
      secretKeySecret: { name: "minio", key: "secretKey" },
      ...(secretsNamespace ? { secretsNamespace } : {}),
    });

  it("reads the Secrets from that namespace, once the administrator allows it, and the backend works with them", async () => {
    const driver = createS3Driver(config("team-a"), { secrets: resolver({ allowedNamespaces: ["team-a"] }) });
    try {
      await driver.put("ns/object", Readable.from([Buffer.from("in team-a")]));
      expect((await collect(await driver.get("ns/object"))).toString()).toBe("in team-a");
      expect(seen.at(-1)?.path).toBe("/api/v1/namespaces/team-a/secrets/minio");
    } finally {
      await driver.dispose();
    }
  });

  it("without it, looks in the pod's namespace and says so", async () => {
    const driver = createS3Driver(config(), { secrets: resolver() });
    try {
      // Both keys are asked for at once: either may be the one reported.
      await expect(driver.stat("ns/object")).rejects.toThrow(
        /s3\.(access|secret)KeySecret: Secret 'minio' in namespace 'argo' not found/,
      );
    } finally {
      await driver.dispose();
    }
  });

  it("left unsubstituted by Argo (argo-server, GC pods), falls back to the pod's namespace and says why", async () => {
    const driver = createS3Driver(config("{{workflow.namespace}}"), { secrets: resolver() });
    try {
      await expect(driver.stat("ns/object")).rejects.toThrow(
        "Secret 'minio' in namespace 'argo' (the configuration's secretsNamespace '{{workflow.namespace}}' came unsubstituted",
      );
    } finally {
      await driver.dispose();
    }
  });

  it("keeps values of one Secret name in two namespaces apart", async () => {
    stored.set("team-b/shared", { key: "b" });
    stored.set("argo/shared", { key: "pod" });
    const base = resolver({ allowedNamespaces: ["*"] });
    expect(await base.forNamespace("team-b").resolve({ name: "shared", key: "key" }, "f")).toBe("b");
    expect(await base.resolve({ name: "shared", key: "key" }, "f")).toBe("pod");
  });

  it("is refused, before any Secret is read, when it names a namespace the administrator did not allow", async () => {
    // A workflow author must not make argo-server's sidecar hand another team's credentials out.
    stored.set("team-c/minio", { accessKey: "team-c-key", secretKey: "team-c-secret" });
    await mkdir(path.join(secretsDir, "minio"), { recursive: true });
    await writeFile(path.join(secretsDir, "minio", "accessKey"), "mounted-key");
    const before = seen.length;
    for (const allowed of [[], ["team-a"]]) {
      const driver = createS3Driver(config("team-c"), { secrets: resolver({ allowedNamespaces: allowed }) });
      try {
        const failure = driver.stat("ns/object");
        await expect(failure).rejects.toBeInstanceOf(PermissionDeniedError);
        await expect(failure).rejects.toThrow(
          /s3\.secretsNamespace: this plugin may not read Secrets of namespace 'team-c': only of its own \('argo'\)/,
        );
      } finally {
        await driver.dispose();
      }
    }
    expect(seen.length).toBe(before);
    await rm(path.join(secretsDir, "minio"), { recursive: true });
  });

  it("always allows the pod's own namespace", async () => {
    stored.set("argo/own", { key: "own" });
    expect(await resolver().forNamespace("argo").resolve({ name: "own", key: "key" }, "s3.accessKeySecret")).toBe(
      "own",
    );
  });

  it("must be a namespace name or an Argo expression", () => {
    expect(() => s3.config({ secretsNamespace: "Team_A" })).toThrow();
    expect(() => s3.config({ secretsNamespace: "team-a" })).not.toThrow();
  });
});
