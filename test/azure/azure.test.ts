/**
 * What the azure backend promises beyond the conformance suite, against
 * Azurite: Argo's layout and folder markers, blobPrefix, container creation,
 * credentials, and errors that say what to fix. Retries, resumed downloads
 * and bounded memory are conformance groups (test/conformance/capabilities.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AzureConfig } from "../../drivers/azure/config.ts";
import { createAzureDriver, isSasToken } from "../../drivers/azure/index.ts";
import type { Driver } from "../../src/driver.ts";
import { InvalidConfigError, PermissionDeniedError } from "../../src/errors.ts";
import { streamOf, uniquePrefix } from "../helpers/data.ts";
import { type AzureFixture, startAzureFixture } from "./fixture.ts";

let azure: AzureFixture;
const drivers: Driver[] = [];

beforeAll(async () => {
  azure = await startAzureFixture();
});
afterAll(async () => {
  await Promise.all(drivers.map((d) => d.dispose()));
  await azure?.teardown();
});

function driverFor(extra: Partial<AzureConfig> = {}): Driver {
  const driver = createAzureDriver(azure.config(extra), { secrets: azure.secrets });
  drivers.push(driver);
  return driver;
}
async function blobsUnder(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of azure.admin.listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

describe("layout", () => {
  it("stores keys under blobPrefix and lists them without it", async () => {
    const prefix = uniquePrefix("tenant");
    const driver = driverFor({ blobPrefix: `${prefix}/team` });
    await driver.put("run/out.txt", streamOf(Buffer.from("x")));
    expect(await blobsUnder(`${prefix}/`)).toEqual([`${prefix}/team/run/out.txt`]);
    const listed = [];
    for await (const o of driver.list("run/")) listed.push(o.key);
    expect(listed).toEqual(["run/out.txt"]);
  });

  it("reads a directory Argo wrote, skipping `dir/` markers and ADLS Gen2 folder blobs", async () => {
    const root = uniquePrefix("argo");
    await azure.admin.getBlockBlobClient(`${root}/a.txt`).upload("a", 1);
    await azure.admin.getBlockBlobClient(`${root}/sub/b.txt`).upload("b", 1);
    await azure.admin.getBlockBlobClient(`${root}/sub/`).upload("", 0);
    await azure.admin.getBlockBlobClient(`${root}/adls-folder`).upload("", 0, { metadata: { hdi_isfolder: "true" } });
    const listed = [];
    for await (const o of driverFor().list(`${root}/`)) listed.push(o.key);
    expect(listed.sort()).toEqual([`${root}/a.txt`, `${root}/sub/b.txt`]);
  });
});

describe("containers", () => {
  it("creates the container once, with writers racing to do it", async () => {
    const container = `fresh-${uniquePrefix().toLowerCase()}`;
    const writers = [1, 2, 3].map(() => driverFor({ container, createContainerIfNotPresent: true }));
    await Promise.all(writers.map((w, i) => w.put(`k${i}`, streamOf(Buffer.from(`v${i}`)))));
    const listed = [];
    for await (const o of writers[0]!.list("")) listed.push(o.key);
    expect(listed.sort()).toEqual(["k0", "k1", "k2"]);
  });

  it("without createContainerIfNotPresent, a missing container is a configuration error that says what to do", async () => {
    const failure = driverFor({ container: "no-such-container" }).put("k", streamOf(Buffer.from("v")));
    await expect(failure).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(failure).rejects.toThrow(
      /azure\.container: container 'no-such-container' .* does not exist; create it, or set createContainerIfNotPresent: true/,
    );
  });
});

describe("credentials", () => {
  it("tells a SAS token from an account key as Argo does", () => {
    expect(isSasToken("sv=2026-10-06&se=2026-11-23T17%3A19%3A00Z&sr=c&sp=racwdl&sig=abc%3D")).toBe(true);
    expect(isSasToken("?sv=2026-10-06&sig=abc")).toBe(true);
    expect(isSasToken("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")).toBe(
      false,
    );
  });

  it("refuses a wrong account key at once, naming the Secret to check and not the key", async () => {
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(`${azure.secretsDir}/azure/wrong`, Buffer.alloc(64, 7).toString("base64")),
    );
    const failure = driverFor({ accountKeySecret: { name: "azure", key: "wrong" } }).stat("anything");
    await expect(failure).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(failure).rejects.toThrow(/refused the request .*check accountKeySecret/);
  });

  it("requires a key Secret unless useSDKCreds is set", () => {
    expect(() => azure.config({ accountKeySecret: undefined })).toThrow(/required unless useSDKCreds is true/);
    expect(() => azure.config({ accountKeySecret: undefined, useSDKCreds: true })).not.toThrow();
  });
});
