/**
 * Every example parses, and every artifact configuration embedded in one
 * validates against our schemas, so the examples cannot rot.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { parseConfiguration } from "../src/registry.ts";

const examples = path.resolve("examples");
const PLUGIN_NAME = "multistore";

interface PluginLocation {
  name?: string;
  configuration?: string;
  key?: string;
}

/** Every `plugin:` mapping in a parsed document, also inside the ConfigMap's string-valued YAML keys. */
function pluginLocations(node: unknown, found: PluginLocation[] = []): PluginLocation[] {
  if (Array.isArray(node)) for (const item of node) pluginLocations(item, found);
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "plugin" && value && typeof value === "object") found.push(value as PluginLocation);
      else if (key === "artifactRepository" && typeof value === "string") pluginLocations(parseYaml(value), found);
      else pluginLocations(value, found);
    }
  }
  return found;
}

const workflowFiles = (await readdir(examples)).filter((f) => f.endsWith(".yaml"));
const configFiles = (await readdir(path.join(examples, "config"))).filter((f) => f.endsWith(".yaml"));

describe("examples", () => {
  it.each(workflowFiles)("%s parses and its configurations validate", async (file) => {
    const text = await readFile(path.join(examples, file), "utf8");
    const documents = parseAllDocuments(text);
    for (const doc of documents) expect(doc.errors).toEqual([]);
    const locations = documents.flatMap((doc) => pluginLocations(doc.toJS()));
    for (const location of locations) {
      if (location.name !== undefined) expect(location.name).toBe(PLUGIN_NAME);
      if (location.configuration !== undefined)
        expect(() => parseConfiguration(location.configuration as string)).not.toThrow();
    }
    if (file.startsWith("workflow-")) expect(locations.length).toBeGreaterThan(0);
  });

  it.each(configFiles)("config/%s validates", async (file) => {
    const parsed = parseConfiguration(await readFile(path.join(examples, "config", file), "utf8"));
    expect(parsed.backend).toBe(path.basename(file, ".yaml"));
  });

  it("has one configuration per backend", () => {
    expect(configFiles.sort()).toEqual(["azure.yaml", "gcs.yaml", "local.yaml", "s3.yaml"]);
  });

  it("registers the plugin under the name the workflows use", async () => {
    const configMap = parseYaml(await readFile(path.join(examples, "workflow-controller-configmap.yaml"), "utf8"));
    const drivers = parseYaml(configMap.data.artifactDrivers) as { name: string; image: string }[];
    expect(drivers.map((d) => d.name)).toEqual([PLUGIN_NAME]);
    const sidecar = parseYaml(await readFile(path.join(examples, "argo-server-sidecar.yaml"), "utf8"));
    const images = sidecar.spec.template.spec.containers.map((c: { image?: string }) => c.image);
    expect(images).toContain(drivers[0]?.image);
  });
});
