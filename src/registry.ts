/**
 * Backend registry: the backend name (the configuration's top-level key)
 * maps to its schema and its driver factory. The service asks for a driver
 * by configuration text; the text is parsed and validated before any I/O, and
 * the driver is kept, keyed by its normalised configuration, so that clients
 * and connection pools survive across calls. Handlers never import a driver.
 */
import { createHash } from "node:crypto";
import type { z } from "zod";
import { type AzureConfig, azureConfigSchema } from "../drivers/azure/config.ts";
import { type GcsConfig, gcsConfigSchema } from "../drivers/gcs/config.ts";
import { localConfigSchema } from "../drivers/local/config.ts";
import { createLocalDriver } from "../drivers/local/index.ts";
import { type S3Config, s3ConfigSchema } from "../drivers/s3/config.ts";
import { UntilFailure } from "./concurrency.ts";
import { parseYaml, validate } from "./config.ts";
import type { Driver, DriverDeps, ObjectInfo } from "./driver.ts";
import { InvalidConfigError } from "./errors.ts";
import { type Logger, silentLogger } from "./log.ts";
import { SecretResolver, secretOptionsFromEnv } from "./secrets.ts";
import { MiB } from "./units.ts";

/**
 * One storage backend: checks a configuration against its schema and gives
 * back the validated value, with how to make its driver. The value's type
 * stays inside the closure `backend()` makes, so no caller casts it.
 */
export interface Backend {
  /** Throws InvalidConfigError naming the field (under `root`) when `value` is not a valid configuration. */
  validate(value: unknown, root: string): ValidConfiguration;
}

/** A configuration that passed its backend's schema. */
export interface ValidConfiguration {
  /** The normalised value (defaults filled in): equal values select the same driver. */
  config: unknown;
  create(deps: DriverDeps): Driver;
}

/** Declares a backend from its schema and its driver factory, whose config types must agree. */
export function backend<C>(schema: z.ZodType<C>, create: (config: C, deps: DriverDeps) => Driver): Backend {
  return {
    validate(value, root) {
      const config = validate(schema, value, root);
      return { config, create: (deps) => create(config, deps) };
    },
  };
}

/** The drivers' dependencies as the process's environment configures them; built once per registry. */
export function driverDepsFromEnv(env: NodeJS.ProcessEnv = process.env, log: Logger = silentLogger): DriverDeps {
  return {
    secrets: new SecretResolver(secretOptionsFromEnv(env)),
    log,
    localDriveRoots: (env["MULTISTORE_LOCAL_DRIVES"] ?? "").split(":").filter(Boolean),
  };
}

/**
 * A backend whose driver module is imported on its first call: a cloud SDK
 * costs neither start-up time nor memory until a configuration names it (the
 * three of them took 0.35 s and 45 MiB at every start). The schema is cheap
 * and loaded at once, so configurations are still checked before any I/O.
 */
export function lazyBackend<C>(
  schema: z.ZodType<C>,
  load: () => Promise<(config: C, deps: DriverDeps) => Driver>,
): Backend {
  return backend(schema, (config, deps) => deferredDriver(() => load().then((create) => create(config, deps))));
}

/**
 * A driver made by `make` on the first call that needs it; disposing an
 * unmade one does nothing. A failed make is tried again by the next call, as
 * a driver that failed to construct used to be (a Secret or CA file that
 * appears later must not leave a broken driver in the registry).
 */
function deferredDriver(make: () => Promise<Driver>): Driver {
  const made = new UntilFailure(make);
  const real = () => made.get();
  return {
    get: async (key, options) => (await real()).get(key, options),
    put: async (key, body, options) => {
      const driver = await real().catch((error: unknown) => {
        body.destroy(); // as a driver's failed put does: the source behind it is released
        throw error;
      });
      return driver.put(key, body, options);
    },
    stat: async (key) => (await real()).stat(key),
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      yield* (await real()).list(prefix);
    },
    delete: async (key) => (await real()).delete(key),
    deletePrefix: async (prefix) => (await real()).deletePrefix(prefix),
    dispose: async () => {
      await (await made.forget()?.catch(() => undefined))?.dispose();
    },
  };
}

/** Every backend this build knows, by the name users write as the configuration's key. */
export const backends = {
  local: backend(localConfigSchema, (config, deps) =>
    createLocalDriver(config, { allowedRoots: deps.localDriveRoots, log: deps.log }),
  ),
  s3: lazyBackend<S3Config>(s3ConfigSchema, async () => (await import("../drivers/s3/index.ts")).createS3Driver),
  azure: lazyBackend<AzureConfig>(
    azureConfigSchema,
    async () => (await import("../drivers/azure/index.ts")).createAzureDriver,
  ),
  gcs: lazyBackend<GcsConfig>(gcsConfigSchema, async () => (await import("../drivers/gcs/index.ts")).createGcsDriver),
} satisfies Record<string, Backend>;

/** A configuration that parsed and validated, for the backend it names. */
export interface ParsedConfiguration extends ValidConfiguration {
  backend: string;
  /** Whether a Save skips files the store already holds byte for byte (src/unchanged.ts). */
  skipUnchanged: boolean;
}

/**
 * Fields every backend takes beside its own, which concern the service
 * rather than the driver: taken out before the backend's schema sees the rest.
 */
function takeServiceFields(value: unknown, root: string): { rest: unknown; skipUnchanged: boolean } {
  if (value === null || typeof value !== "object" || Array.isArray(value) || !("skipUnchanged" in value))
    return { rest: value, skipUnchanged: true };
  const { skipUnchanged, ...rest } = value as Record<string, unknown>;
  if (typeof skipUnchanged !== "boolean") throw new InvalidConfigError(`${root}.skipUnchanged: expected true or false`);
  return { rest, skipUnchanged };
}

/** Parses and validates a configuration string; throws InvalidConfigError naming the field. */
export function parseConfiguration(
  text: string,
  known: Readonly<Record<string, Backend>> = backends,
): ParsedConfiguration {
  const names = Object.keys(known).join(", ");
  if (text.trim() === "") throw new InvalidConfigError(`configuration is empty: expected one of ${names}`);
  const value = parseYaml(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidConfigError(`configuration must be a mapping with one key naming the backend (${names})`);
  }
  const keys = Object.keys(value);
  if (keys.length !== 1) {
    const found = keys.length === 0 ? "none" : keys.map((k) => `'${k}'`).join(", ");
    throw new InvalidConfigError(`configuration must name exactly one backend (${names}); found ${found}`);
  }
  const name = keys[0] as string;
  const chosen = known[name];
  if (!chosen) throw new InvalidConfigError(`unknown backend '${name}': expected one of ${names}`);
  const { rest, skipUnchanged } = takeServiceFields((value as Record<string, unknown>)[name], name);
  return { backend: name, skipUnchanged, ...chosen.validate(rest, name) };
}

/** Characters of configuration text the parse cache keeps at most (each one at most 64 KiB). */
const PARSE_CACHE_BYTES = 4 * MiB;

/** A driver lent to one call; `release` must be called when the call ends. */
export interface DriverLease {
  driver: Driver;
  backend: string;
  skipUnchanged: boolean;
  release(): void;
}

interface Entry {
  driver: Driver;
  leases: number;
  evicted: boolean;
}

/**
 * Keeps drivers by normalised configuration, least recently used first out.
 * An evicted driver is disposed once no call holds it.
 */
export class DriverRegistry {
  private readonly drivers = new Map<string, Entry>();
  private readonly parsed = new Map<string, ParsedConfiguration & { id: string }>();
  private parsedBytes = 0;
  private readonly maxDrivers: number;
  private readonly backends: Readonly<Record<string, Backend>>;
  private readonly deps: DriverDeps;

  /** `backends` defaults to every backend of this build (tests add their own), `deps` to the environment's. */
  constructor(options: { maxDrivers?: number; backends?: Readonly<Record<string, Backend>>; deps?: DriverDeps } = {}) {
    this.maxDrivers = options.maxDrivers ?? 64;
    this.backends = options.backends ?? backends;
    this.deps = options.deps ?? driverDepsFromEnv();
  }

  /** Resolves a configuration string to a driver for the duration of one call. */
  acquire(configuration: string): DriverLease {
    const { backend: name, create, id, skipUnchanged } = this.parse(configuration);
    let entry = this.drivers.get(id);
    if (entry) {
      this.drivers.delete(id); // re-insert: most recently used goes last
    } else {
      entry = { driver: create(this.deps), leases: 0, evicted: false };
    }
    this.drivers.set(id, entry);
    this.evictOverflow();
    const leased = entry;
    leased.leases++;
    let released = false;
    return {
      driver: leased.driver,
      backend: name,
      skipUnchanged,
      release: () => {
        if (released) return;
        released = true;
        if (--leased.leases === 0 && leased.evicted) disposeQuietly(leased.driver);
      },
    };
  }

  /** Characters of configuration text the parse cache holds now (bounded by PARSE_CACHE_BYTES). */
  get parseCacheBytes(): number {
    return this.parsedBytes;
  }

  /** Disposes every driver; used at shutdown. */
  async dispose(): Promise<void> {
    const entries = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.allSettled(entries.map((e) => e.driver.dispose()));
  }

  private parse(configuration: string): ParsedConfiguration & { id: string } {
    const cached = this.parsed.get(configuration);
    if (cached) return cached;
    const parsed = parseConfiguration(configuration, this.backends);
    const id = createHash("sha256")
      .update(`${parsed.backend}\0${stableJson(parsed.config)}`)
      .digest("hex");
    const result = { ...parsed, id };
    // Bounded in entries and in bytes: many distinct large configurations must not grow memory.
    this.parsedBytes += configuration.length;
    this.parsed.set(configuration, result);
    while (this.parsed.size > this.maxDrivers * 4 || this.parsedBytes > PARSE_CACHE_BYTES) {
      const oldest = this.parsed.keys().next().value as string;
      this.parsed.delete(oldest);
      this.parsedBytes -= oldest.length;
    }
    return result;
  }

  private evictOverflow(): void {
    while (this.drivers.size > this.maxDrivers) {
      const [oldestId, oldest] = this.drivers.entries().next().value as [string, Entry];
      this.drivers.delete(oldestId);
      oldest.evicted = true;
      if (oldest.leases === 0) disposeQuietly(oldest.driver);
    }
  }
}

/** Disposes an evicted driver in the background; a failure there must not reach any call. */
function disposeQuietly(driver: Driver): void {
  driver.dispose().catch(() => {});
}

/** JSON with object keys sorted, so equal configurations hash equally whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
