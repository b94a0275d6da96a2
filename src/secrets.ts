/**
 * Credential resolution shared by every backend. Configurations name
 * Kubernetes Secrets the way Argo's artifact repositories do, as
 * `{name, key}` selectors; a selector resolves, in this order, from
 *
 *   1. a mounted Secret volume: `<secretsDir>/<name>/<key>` (a Secret mounted
 *      at `<secretsDir>/<name>` has one file per key);
 *   2. the Kubernetes API, from inside the pod: `GET
 *      /api/v1/namespaces/<ns>/secrets/<name>` with the pod's service-account
 *      token, trusting the cluster CA, in the pod's namespace.
 *
 * Values are cached for a short while (Secrets rotate; mounted volumes and the
 * API both reflect a rotation within a minute or so), registered with
 * src/redact.ts so they can never reach a log line or an error text, and never
 * logged themselves. Errors name the Secret and key, never a value.
 */
import { readFile } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import type { SecretSelector } from "./config.ts";
import { errnoCode, InvalidConfigError, PermissionDeniedError, UnavailableError } from "./errors.ts";
import { registerSecret } from "./redact.ts";
import { MiB } from "./units.ts";

export interface SecretResolverOptions {
  /** Where Secrets are mounted, one folder per Secret. */
  secretsDir: string;
  /** The service-account folder holding `token`, `ca.crt` and `namespace`. */
  serviceAccountDir: string;
  /** `https://host:port` of the API server; absent outside a cluster. */
  apiServer?: string;
  /** Namespace to read Secrets from; defaults to the pod's own. */
  namespace?: string;
  /**
   * Namespaces besides that one a configuration's `secretsNamespace` may
   * name (`*`: any). Set by the administrator: configurations are written by
   * workflow authors, and every author whose artifacts this plugin serves can
   * use the Secrets of every namespace listed here.
   */
  allowedNamespaces?: readonly string[];
  /** A configuration's `secretsNamespace` (checked against the above before any read). */
  requested?: string;
  /**
   * What a configuration's `secretsNamespace` said when it is an Argo
   * expression left unsubstituted (argo-server and GC pods get key-only
   * artifacts' configurations as written): `namespace` applies instead,
   * and errors say so.
   */
  unsubstituted?: string;
  /** How long a resolved value is reused. */
  ttlMs: number;
}

export const DEFAULT_SECRETS_DIR = "/var/run/secrets/multistore";
export const DEFAULT_SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const API_TIMEOUT_MS = 10_000;
/** A Secret is at most 1 MiB (Kubernetes' own limit); anything larger is not an answer to our GET. */
const MAX_RESPONSE_BYTES = 2 * MiB;

/**
 * The resolver's settings from the environment: MULTISTORE_SECRETS_DIR,
 * MULTISTORE_SERVICE_ACCOUNT_DIR, MULTISTORE_SECRETS_NAMESPACE,
 * MULTISTORE_SECRETS_NAMESPACES, MULTISTORE_SECRETS_TTL_SECONDS, and the KUBERNETES_SERVICE_HOST/PORT that
 * Kubernetes sets in every pod.
 */
export function secretOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SecretResolverOptions {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  return {
    secretsDir: env.MULTISTORE_SECRETS_DIR || DEFAULT_SECRETS_DIR,
    serviceAccountDir: env.MULTISTORE_SERVICE_ACCOUNT_DIR || DEFAULT_SERVICE_ACCOUNT_DIR,
    apiServer: host ? `https://${host.includes(":") ? `[${host}]` : host}:${port}` : undefined,
    namespace: env.MULTISTORE_SECRETS_NAMESPACE || undefined,
    allowedNamespaces: (env.MULTISTORE_SECRETS_NAMESPACES ?? "")
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean),
    ttlMs: Number(env.MULTISTORE_SECRETS_TTL_SECONDS || 60) * 1000,
  };
}

interface Cached {
  value: Promise<string>;
  expires: number;
}

export class SecretResolver {
  private readonly options: SecretResolverOptions;
  private readonly cache: Map<string, Cached>;

  constructor(options: SecretResolverOptions, cache = new Map<string, Cached>()) {
    this.options = options;
    this.cache = cache;
  }

  /**
   * This resolver, reading Secrets from `namespace` through the API (a
   * configuration's `secretsNamespace`); itself when none is given. The pod's
   * own namespace is always allowed, others only when the administrator
   * lists them (MULTISTORE_SECRETS_NAMESPACES). An Argo expression
   * (`{{workflow.namespace}}`) that reached us unsubstituted leaves the
   * default namespace in place. The views share one cache.
   */
  forNamespace(namespace: string | undefined): SecretResolver {
    if (!namespace) return this;
    const unsubstituted = namespace.startsWith("{{");
    return new SecretResolver(
      unsubstituted ? { ...this.options, unsubstituted: namespace } : { ...this.options, requested: namespace },
      this.cache,
    );
  }

  /**
   * The value of one key of one Secret. `field` is the configuration field
   * that named it (`s3.accessKeySecret`), for error texts.
   */
  resolve(selector: SecretSelector, field: string): Promise<string> {
    const id = `${this.options.requested ?? ""}\0${selector.name}\0${selector.key}`;
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && hit.expires > now) return hit.value;
    const value = this.lookup(selector, field).then((v) => {
      registerSecret(v);
      registerSecret(v.trim());
      return v;
    });
    this.cache.set(id, { value, expires: now + this.options.ttlMs });
    value.catch(() => this.cache.delete(id)); // failures are not cached: a fix shows at once
    return value;
  }

  private async lookup(selector: SecretSelector, field: string): Promise<string> {
    const { name, key } = selector;
    if (this.options.requested) await this.checkAllowed(this.options.requested, field);
    if (!isSafeName(name) || !isSafeName(key)) {
      throw new InvalidConfigError(`${field}: a Secret name and key cannot contain '/' or be '.' or '..'`);
    }
    const mounted = path.join(this.options.secretsDir, name, key);
    try {
      return await readFile(mounted, "utf8");
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") throw error;
    }
    if (!this.options.apiServer) {
      throw new InvalidConfigError(
        `${field}: Secret '${name}' key '${key}' not found: no file ${mounted}, and no Kubernetes API to ask (KUBERNETES_SERVICE_HOST is not set)`,
      );
    }
    return this.fromApi(selector, field);
  }

  /** The pod's own namespace: the override, else the service account's; undefined outside a pod. */
  private async ownNamespace(): Promise<string | undefined> {
    if (this.options.namespace) return this.options.namespace;
    return (
      await readFile(path.join(this.options.serviceAccountDir, "namespace"), "utf8").catch(() => undefined)
    )?.trim();
  }

  /**
   * Refuses a `secretsNamespace` the administrator did not allow, before any
   * Secret is read (mounted ones included): else any workflow author could
   * have argo-server's sidecar, whose account may read Secrets across
   * namespaces, hand another team's credentials to an endpoint of theirs.
   */
  private async checkAllowed(requested: string, field: string): Promise<void> {
    const allowed = this.options.allowedNamespaces ?? [];
    if (allowed.includes("*") || allowed.includes(requested)) return;
    const own = await this.ownNamespace();
    if (requested === own) return;
    const setting = `${field.split(".")[0]}.secretsNamespace`;
    throw new PermissionDeniedError(
      `${setting}: this plugin may not read Secrets of namespace '${requested}': only of its own${own ? ` ('${own}')` : ""}` +
        `${allowed.length > 0 ? ` and of ${allowed.map((n) => `'${n}'`).join(", ")}` : ""}; an administrator allows more with MULTISTORE_SECRETS_NAMESPACES`,
    );
  }

  private async fromApi({ name, key }: SecretSelector, field: string): Promise<string> {
    const dir = this.options.serviceAccountDir;
    const [token, ca, podNamespace] = await Promise.all([
      readFile(path.join(dir, "token"), "utf8"),
      readFile(path.join(dir, "ca.crt"), "utf8"),
      this.options.requested ?? this.options.namespace ?? readFile(path.join(dir, "namespace"), "utf8"),
    ]).catch((error: unknown) => {
      throw new InvalidConfigError(
        `${field}: Secret '${name}' key '${key}' is not mounted under ${this.options.secretsDir}, and the service account to ask the Kubernetes API is unreadable: ${(error as Error).message}`,
      );
    });
    registerSecret(token.trim());
    const namespace = podNamespace.trim();
    const url = `${this.options.apiServer}/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
    const response = await getJson(url, token.trim(), ca).catch((error: unknown) => {
      throw new UnavailableError(
        `${field}: cannot reach the Kubernetes API to read Secret '${name}': ${(error as Error).message}`,
      );
    });
    const where = `Secret '${name}' in namespace '${namespace}'${
      this.options.unsubstituted
        ? ` (the configuration's secretsNamespace '${this.options.unsubstituted}' came unsubstituted, as Argo sends key-only artifacts to argo-server and GC pods, so the pod's namespace was used)`
        : ""
    }`;
    if (response.status === 404) throw new InvalidConfigError(`${field}: ${where} not found`);
    if (response.status === 401 || response.status === 403) {
      const account = serviceAccountOf(response.body, token.trim());
      throw new PermissionDeniedError(
        `${field}: ${account} may not read ${where} (HTTP ${response.status}); grant it 'get' on that Secret (see examples/secrets-rbac.yaml) or mount the Secret under ${this.options.secretsDir}/${name}`,
      );
    }
    if (response.status !== 200) {
      throw new UnavailableError(`${field}: the Kubernetes API answered HTTP ${response.status} reading ${where}`);
    }
    const data = (response.body as { data?: Record<string, string> } | undefined)?.data ?? {};
    const encoded = data[key];
    if (encoded === undefined) throw new InvalidConfigError(`${field}: ${where} has no key '${key}'`);
    return Buffer.from(encoded, "base64").toString("utf8");
  }
}

/**
 * Which service account the API refused, for the error text: as the API's
 * Status names it (`User "system:serviceaccount:<ns>:<name>"`), else from the
 * token's claims (read, not verified: the API server verified it), else the
 * pod's service account. The plugin runs under the executor's, the GC pod's
 * or argo-server's account depending on the pod, and RBAC must name that one.
 */
function serviceAccountOf(body: unknown, token: string): string {
  const message = (body as { message?: unknown } | undefined)?.message;
  const named = typeof message === "string" ? /system:serviceaccount:([^:"\s]+):([^"\s]+)/.exec(message) : null;
  if (named) return `service account '${named[2]}' of namespace '${named[1]}'`;
  try {
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      sub?: unknown;
    };
    const subject = typeof claims.sub === "string" ? /^system:serviceaccount:([^:]+):(.+)$/.exec(claims.sub) : null;
    if (subject) return `service account '${subject[2]}' of namespace '${subject[1]}'`;
  } catch {
    // not a JWT we can read: say what we know
  }
  return "the pod's service account";
}

function isSafeName(value: string): boolean {
  return !value.includes("/") && !value.includes("\0") && value !== "." && value !== "..";
}

/** One GET with a bearer token, trusting only `ca`; the body is parsed as JSON when it is JSON. */
function getJson(url: string, token: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca, headers: { authorization: `Bearer ${token}`, accept: "application/json" }, timeout: API_TIMEOUT_MS },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES)
            return void request.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
          chunks.push(chunk);
        });
        response.on("error", reject);
        response.on("end", () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${API_TIMEOUT_MS / 1000} s`)));
    request.on("error", reject);
  });
}
