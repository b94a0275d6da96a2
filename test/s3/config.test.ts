/** The s3 configuration: Argo's vocabulary, errors that name the field, and how an endpoint is addressed. */
import { describe, expect, it } from "vitest";
import { endpointUrl, regionOf, usePathStyle } from "../../drivers/s3/client.ts";
import { s3ConfigSchema } from "../../drivers/s3/config.ts";
import { parseConfiguration } from "../../src/registry.ts";

const base = { endpoint: "minio.minio:9000", bucket: "artifacts" };
const parse = (extra: object) => s3ConfigSchema.parse({ ...base, ...extra });

describe("s3 configuration", () => {
  it("names an unknown field and suggests the known one", () => {
    expect(() => parseConfiguration("s3: {endpoint: x, bucket: b, acessKeySecret: {name: n, key: k}}")).toThrow(
      "s3.acessKeySecret: unknown field (did you mean 'accessKeySecret'?)",
    );
    expect(() =>
      parseConfiguration("s3: {endpoint: x, bucket: b, encryptionOptions: {enableEncription: true}}"),
    ).toThrow("s3.encryptionOptions.enableEncription: unknown field (did you mean 'enableEncryption'?)");
  });

  it("refuses combinations S3 or Argo refuse", () => {
    const ssec = { enableEncryption: true, serverSideCustomerKeySecret: { name: "k", key: "k" } };
    expect(() =>
      parseConfiguration(`s3: ${JSON.stringify({ ...base, insecure: true, encryptionOptions: ssec })}`),
    ).toThrow(/s3\.encryptionOptions\.serverSideCustomerKeySecret: SSE-C .* needs HTTPS/);
    expect(() =>
      parseConfiguration(`s3: ${JSON.stringify({ ...base, endpoint: "http://minio:9000", encryptionOptions: ssec })}`),
    ).toThrow(/needs HTTPS/);
    expect(() =>
      parseConfiguration(`s3: ${JSON.stringify({ ...base, encryptionOptions: { ...ssec, kmsKeyId: "k" } })}`),
    ).toThrow("set kmsKeyId or serverSideCustomerKeySecret, not both");
    expect(() =>
      parseConfiguration(`s3: ${JSON.stringify({ ...base, encryptionOptions: { kmsEncryptionContext: "team=ml" } })}`),
    ).toThrow("s3.encryptionOptions.kmsEncryptionContext: expected a JSON object");
    expect(() =>
      parseConfiguration(`s3: ${JSON.stringify({ ...base, accessKeySecret: { name: "a", key: "b" } })}`),
    ).toThrow("accessKeySecret and secretKeySecret go together");
    expect(() => parseConfiguration(`s3: ${JSON.stringify({ ...base, partSize: 1024 })}`)).toThrow(
      "s3.partSize: expected at least 5 MiB",
    );
    expect(() => parseConfiguration(`s3: ${JSON.stringify({ ...base, caFile: "ca.crt" })}`)).toThrow(
      "s3.caFile: expected an absolute path",
    );
  });

  it("takes endpoints as Argo does: host[:port] with insecure choosing the scheme, or a URL", () => {
    expect(endpointUrl({ endpoint: "minio.default:9000", insecure: true }).toString()).toBe(
      "http://minio.default:9000/",
    );
    expect(endpointUrl({ endpoint: "minio.default:9000" }).toString()).toBe("https://minio.default:9000/");
    expect(endpointUrl({ endpoint: "https://storage.googleapis.com", insecure: true }).toString()).toBe(
      "https://storage.googleapis.com/",
    );
    expect(() => endpointUrl({ endpoint: "ftp://x" })).toThrow("s3.endpoint: expected http:// or https://");
    expect(() => endpointUrl({ endpoint: "https://user:pw@x" })).toThrow(/credentials in the URL are not supported/);
  });

  it("addresses AWS virtual-hosted and everything else by path, unless told", () => {
    const style = (extra: object) => {
      const config = parse(extra);
      return usePathStyle(config, endpointUrl(config)) ? "path" : "virtual";
    };
    expect(style({})).toBe("path");
    expect(style({ endpoint: "s3.amazonaws.com" })).toBe("virtual");
    expect(style({ endpoint: "s3.eu-west-1.amazonaws.com", bucket: "dotted.bucket" })).toBe("path"); // TLS cannot cover a dotted label
    expect(style({ endpoint: "s3.amazonaws.com", forcePathStyle: true })).toBe("path");
    expect(style({ forcePathStyle: false })).toBe("virtual");
  });

  it("signs for the region an AWS endpoint names, else the configured one or us-east-1", () => {
    const region = (extra: object) => {
      const config = parse(extra);
      return regionOf(config, endpointUrl(config));
    };
    expect(region({ endpoint: "s3.eu-west-1.amazonaws.com" })).toBe("eu-west-1");
    expect(region({ endpoint: "s3.dualstack.us-gov-west-1.amazonaws.com" })).toBe("us-gov-west-1");
    expect(region({ endpoint: "s3.amazonaws.com" })).toBe("us-east-1");
    expect(region({ region: "ap-south-1" })).toBe("ap-south-1");
  });
});
