/**
 * What the gcs backend promises beyond the conformance suite, against
 * fake-gcs-server: Argo's layout, keyPrefix, pagination, resumable uploads,
 * credentials from a service-account key, and errors that say what to fix.
 * Retries, resumed and verified downloads and bounded memory are
 * conformance groups (test/conformance/capabilities.ts).
 */
import { createVerify } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GcsConfig } from "../../drivers/gcs/config.ts";
import { createGcsDriver } from "../../drivers/gcs/index.ts";
import { quietResponse } from "../../drivers/gcs/read-stream.ts";
import type { Driver } from "../../src/driver.ts";
import { InvalidConfigError, NotFoundError } from "../../src/errors.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, sha256, streamOf, uniquePrefix } from "../helpers/data.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { type GcsFixture, startGcsFixture } from "./fixture.ts";

let gcs: GcsFixture;
let proxy: FaultProxy;
const drivers: Driver[] = [];

beforeAll(async () => {
  gcs = await startGcsFixture();
  proxy = await startFaultProxy(gcs.server.url);
});
afterAll(async () => {
  await Promise.all(drivers.map((d) => d.dispose()));
  await proxy?.close();
  await gcs?.teardown();
});

function driverFor(extra: Partial<GcsConfig> = {}): Driver {
  const driver = createGcsDriver(gcs.config(extra), { secrets: gcs.secrets });
  drivers.push(driver);
  return driver;
}
const viaProxy = (extra: Partial<GcsConfig> = {}) => driverFor({ endpoint: `http://${proxy.endpoint}`, ...extra });

async function namesUnder(prefix: string): Promise<string[]> {
  const [files] = await gcs.admin.bucket(gcs.bucket).getFiles({ prefix });
  return files.map((f) => f.name).sort();
}

describe("layout", () => {
  it("stores keys under keyPrefix and lists them without it, skipping folder markers", async () => {
    const prefix = uniquePrefix("tenant");
    const driver = driverFor({ keyPrefix: `${prefix}/team/` });
    await driver.put("run/out.txt", streamOf(Buffer.from("x")));
    await gcs.admin.bucket(gcs.bucket).file(`${prefix}/team/run/`).save("", { resumable: false });
    expect(await namesUnder(`${prefix}/`)).toEqual([`${prefix}/team/run/`, `${prefix}/team/run/out.txt`]);
    const listed = [];
    for await (const o of driver.list("run/")) listed.push(o.key);
    expect(listed).toEqual(["run/out.txt"]);
  });

  it("lists and deletes past the 1,000 objects of one page", async () => {
    const root = uniquePrefix("many");
    const count = 1_205;
    const names = Array.from({ length: count }, (_, i) => `${root}/k${String(i).padStart(5, "0")}`);
    const bucket = gcs.admin.bucket(gcs.bucket);
    for (let i = 0; i < names.length; i += 50)
      await Promise.all(names.slice(i, i + 50).map((n) => bucket.file(n).save("", { resumable: false })));
    const driver = driverFor();
    const listed = [];
    for await (const o of driver.list(`${root}/`)) listed.push(o.key);
    expect(listed.sort()).toEqual(names);
    expect(await driver.deletePrefix(`${root}/`)).toBe(count);
    expect(await namesUnder(`${root}/`)).toEqual([]);
  });
});

describe("uploads", () => {
  it("streams a multi-chunk resumable upload byte for byte", async () => {
    const data = bytes(37 * MiB + 11);
    const key = `${uniquePrefix()}/resumable.bin`;
    await driverFor().put(key, streamOf(data, 300_007));
    // Read behind the driver, with the SDK's own client (its listeners quieted as the driver's are).
    const stored = await collect(quietResponse(gcs.admin.bucket(gcs.bucket).file(key).createReadStream()));
    expect(sha256(stored)).toBe(sha256(data));
  });

  it("leaves nothing when a resumable upload is cancelled after its first chunks", async () => {
    const key = `${uniquePrefix()}/cancelled.bin`;
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<Buffer> {
      for (let sent = 0; ; sent += MiB) {
        if (sent === 40 * MiB) controller.abort();
        yield bytes(MiB);
      }
    }
    await expect(driverFor().put(key, Readable.from(endless()), { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    await expect(driverFor().stat(key)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("downloads", () => {
  it("can be cancelled within their first round trip without an unhandled rejection (which would end the process)", async () => {
    const driver = driverFor();
    const key = `${uniquePrefix()}/cancelled.bin`;
    await driver.put(key, streamOf(bytes(3 * 1024 * 1024)));
    const rejections: unknown[] = [];
    const record = (reason: unknown) => rejections.push(reason);
    process.on("unhandledRejection", record);
    try {
      for (let i = 0; i < 5; i++) {
        const body = await driver.get(key);
        body.on("error", () => {});
        body.resume();
        setImmediate(() => body.destroy()); // the request is out; its response is not in yet
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(sha256(await collect(await driver.get(key)))).toHaveLength(64); // the driver still reads
    } finally {
      process.off("unhandledRejection", record);
    }
    expect(rejections).toEqual([]);
  });
});

describe("credentials", () => {
  it("signs requests with the service-account key itself, asking no token server", async () => {
    const driver = viaProxy({ serviceAccountKeySecret: { name: "gcs", key: "key.json" } });
    const key = `${uniquePrefix()}/authenticated`;
    const before = proxy.requests.length;
    await driver.put(key, streamOf(Buffer.from("signed")));
    const authorization = proxy.headers[before]?.authorization ?? "";
    const [header, claims, signature] = authorization.replace(/^Bearer /, "").split(".") as [string, string, string];
    const verifier = createVerify("RSA-SHA256").update(`${header}.${claims}`);
    expect(verifier.verify(gcs.publicKey, Buffer.from(signature, "base64url"))).toBe(true);
    const payload = JSON.parse(Buffer.from(claims, "base64url").toString()) as {
      iss: string;
      scope: string;
      exp: number;
    };
    expect(payload.iss).toBe(gcs.clientEmail);
    expect(payload.scope).toBe("https://www.googleapis.com/auth/devstorage.read_write");
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toMatchObject({
      alg: "RS256",
      kid: "0123456789abcdef",
    });
  });

  it("names the field when the key Secret is not a key file", async () => {
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(`${gcs.secretsDir}/gcs/not-json`, "hunter2-is-not-json"),
    );
    const failure = driverFor({ serviceAccountKeySecret: { name: "gcs", key: "not-json" } }).stat("x");
    await expect(failure).rejects.toThrow("gcs.serviceAccountKeySecret: the Secret's value is not JSON");
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it("takes a plain-HTTP endpoint without a key for an emulator: no Authorization header", async () => {
    const before = proxy.requests.length;
    await viaProxy()
      .stat("anything")
      .catch(() => {});
    expect(proxy.headers[before]?.authorization).toBeUndefined();
  });
});

describe("failures", () => {
  it("says a missing bucket is a configuration error, never a missing artifact", async () => {
    const driver = driverFor({ bucket: "no-such-bucket" });
    await expect(driver.put("k", streamOf(Buffer.from("v")))).rejects.toThrow(InvalidConfigError);
    await expect(driver.get("k")).rejects.toThrow("gcs.bucket: bucket 'no-such-bucket'");
    await expect(collect(Readable.from(driver.list("")))).rejects.toThrow(InvalidConfigError);
  });
});
