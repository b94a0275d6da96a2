/**
 * The conformance suite every backend runs: first against its Driver
 * directly, then end to end through our gRPC server on a unix socket with the
 * backend's configuration. Each case checks a statement of src/driver.ts or of
 * Argo's contract. Assertions are on our error classes and status names, never
 * on a provider's message text.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Driver, isStaging } from "../../src/driver.ts";
import { InvalidKeyError, NotFoundError } from "../../src/errors.ts";
import { PathPolicy } from "../../src/local-paths.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import { saveFromPath } from "../../src/transfer.ts";
import { MiB } from "../../src/units.ts";
import { bytes, collect, failingStream, sha256, streamOf, uniquePrefix, writeTree } from "../helpers/data.ts";
import { withPutHook } from "../helpers/intercept.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { type Capabilities, capabilityCases, type ProxiedStore, type StoreBehind } from "./capabilities.ts";
import { copyCases } from "./copy.ts";
import { unchangedCases } from "./unchanged.ts";

/** A backend under test: its driver, and the configuration string that selects the same store. */
export interface BackendFixture {
  driver: Driver;
  configuration: string;
  /** The Secrets the configuration refers to, for the server's drivers. */
  secrets?: SecretResolver;
  /** The store behind a fault-injecting proxy: required when the backend declares `faults`. */
  proxied?: ProxiedStore;
  /** The store as its own client sees it: required when the backend declares `digests`. */
  behind?: StoreBehind;
  teardown(): Promise<void>;
}

/** What a backend declares: its capabilities, and what its server cannot do (documented limits, not our bugs). */
export interface SuiteOptions extends Capabilities {
  /** MinIO and fake-gcs-server's filesystem backend cannot hold an object `a` beside objects under `a/`. */
  noObjectBesidePrefix?: boolean;
}

export function runConformanceSuite(
  backend: string,
  setup: () => Promise<BackendFixture>,
  options: SuiteOptions = {},
): void {
  describe(`conformance: ${backend}`, () => {
    let fixture: BackendFixture;
    let driver: Driver;
    let server: TestServer;
    let scratch: string;
    const paths = new PathPolicy([os.tmpdir()]);

    beforeAll(async () => {
      fixture = await setup();
      driver = fixture.driver;
      server = await startTestServer({ secrets: fixture.secrets });
      scratch = await mkdtemp(path.join(os.tmpdir(), `conformance-${backend}-`));
    });
    afterAll(async () => {
      await server?.stop();
      await driver?.dispose();
      await fixture?.teardown();
      await rm(scratch, { recursive: true, force: true });
    });

    describe("driver", () => {
      it.each([0, 1, 2 * MiB - 1, 2 * MiB + 1, 5 * MiB])("round-trips %d bytes byte for byte", async (size) => {
        const key = `${uniquePrefix()}/object.bin`;
        const data = bytes(size);
        await driver.put(key, streamOf(data));
        expect(sha256(await collect(await driver.get(key)))).toBe(sha256(data));
        expect((await driver.stat(key)).size).toBe(size);
      });

      it("replaces an object on put", async () => {
        const key = `${uniquePrefix()}/object`;
        await driver.put(key, streamOf(Buffer.from("old version")));
        await driver.put(key, streamOf(Buffer.from("new")));
        expect((await collect(await driver.get(key))).toString()).toBe("new");
      });

      it("rejects get and stat of a missing key with NotFoundError", async () => {
        const key = `${uniquePrefix()}/missing`;
        await expect(driver.get(key)).rejects.toBeInstanceOf(NotFoundError);
        await expect(driver.stat(key)).rejects.toBeInstanceOf(NotFoundError);
      });

      it("treats a directory prefix as no object", async () => {
        const dir = uniquePrefix();
        await driver.put(`${dir}/inside`, streamOf(Buffer.from("x")));
        await expect(driver.get(dir)).rejects.toBeInstanceOf(NotFoundError);
        await expect(driver.stat(dir)).rejects.toBeInstanceOf(NotFoundError);
      });

      it("deletes idempotently", async () => {
        const key = `${uniquePrefix()}/object`;
        await driver.put(key, streamOf(Buffer.from("x")));
        await driver.delete(key);
        await driver.delete(key);
        await driver.delete(`${uniquePrefix()}/never-existed`);
        await expect(driver.get(key)).rejects.toBeInstanceOf(NotFoundError);
      });

      it("lists by string prefix: 'a/' does not match 'ab/'", async () => {
        const root = uniquePrefix();
        for (const key of ["a/1", "a/sub/2", "ab/3", "a.txt"])
          await driver.put(`${root}/${key}`, streamOf(Buffer.from(key)));
        const listed = [];
        for await (const object of driver.list(`${root}/a/`)) listed.push(object);
        expect(listed.map((o) => o.key).sort()).toEqual([`${root}/a/1`, `${root}/a/sub/2`]);
        expect(listed.find((o) => o.key === `${root}/a/sub/2`)?.size).toBe("a/sub/2".length);
        const partial = [];
        for await (const object of driver.list(`${root}/a`)) partial.push(object.key);
        expect(partial.sort()).toEqual([`${root}/a.txt`, `${root}/a/1`, `${root}/a/sub/2`, `${root}/ab/3`]);
      });

      // Registered only where the server can (see SuiteOptions): not a skip, a case that does not apply.
      if (!options.noObjectBesidePrefix)
        it("holds an object 'a' and objects under 'a/' at once", async () => {
          const root = uniquePrefix();
          await driver.put(`${root}/a/1`, streamOf(Buffer.from("inside")));
          await driver.put(`${root}/a`, streamOf(Buffer.from("beside")));
          expect((await collect(await driver.get(`${root}/a`))).toString()).toBe("beside");
          expect((await collect(await driver.get(`${root}/a/1`))).toString()).toBe("inside");
          const listed = [];
          for await (const object of driver.list(`${root}/a/`)) listed.push(object.key);
          expect(listed).toEqual([`${root}/a/1`]);
        });

      it("deletes a prefix and nothing beside it", async () => {
        const root = uniquePrefix();
        for (const key of ["d/1", "d/deep/er/2", "d-sibling", "dx/3"]) {
          await driver.put(`${root}/${key}`, streamOf(Buffer.from(key)));
        }
        expect(await driver.deletePrefix(`${root}/d/`)).toBe(2);
        expect(await driver.deletePrefix(`${root}/d/`)).toBe(0);
        const left = [];
        for await (const object of driver.list(`${root}/`)) left.push(object.key);
        expect(left.sort()).toEqual([`${root}/d-sibling`, `${root}/dx/3`]);
      });

      it("leaves nothing visible when the source dies mid-upload", async () => {
        const key = `${uniquePrefix()}/partial`;
        await expect(driver.put(key, failingStream(bytes(3 * MiB)))).rejects.toThrow(/source died/);
        await expect(driver.get(key)).rejects.toBeInstanceOf(NotFoundError);
      });

      it("keeps the old object when a replacing upload fails", async () => {
        const key = `${uniquePrefix()}/kept`;
        await driver.put(key, streamOf(Buffer.from("original")));
        await expect(driver.put(key, failingStream(bytes(MiB)))).rejects.toThrow();
        expect((await collect(await driver.get(key))).toString()).toBe("original");
      });

      it("leaves nothing visible when an upload is aborted", async () => {
        const key = `${uniquePrefix()}/aborted`;
        const controller = new AbortController();
        async function* endless(): AsyncGenerator<Buffer> {
          for (;;) {
            yield bytes(64 * 1024);
            await new Promise((r) => setTimeout(r, 1));
          }
        }
        setTimeout(() => controller.abort(), 50);
        await expect(driver.put(key, Readable.from(endless()), { signal: controller.signal })).rejects.toMatchObject({
          name: "AbortError",
        });
        await expect(driver.get(key)).rejects.toBeInstanceOf(NotFoundError);
      });

      it("publishes nothing when the signal aborts as the body ends", async () => {
        const key = `${uniquePrefix()}/late-abort`;
        const controller = new AbortController();
        async function* body(): AsyncGenerator<Buffer> {
          yield bytes(MiB);
          controller.abort(); // the client goes away just as its upload completes
        }
        await expect(driver.put(key, Readable.from(body()), { signal: controller.signal })).rejects.toThrow();
        await expect(driver.get(key)).rejects.toBeInstanceOf(NotFoundError);
      });

      it("destroys the body of a put that fails", async () => {
        const body = streamOf(bytes(1000));
        await expect(driver.put("../refused", body)).rejects.toBeInstanceOf(InvalidKeyError);
        expect(body.destroyed).toBe(true);
      });

      it("stores unicode keys", async () => {
        const key = `${uniquePrefix()}/données/日本語/emoji-🚀.txt`;
        await driver.put(key, streamOf(Buffer.from("unicode")));
        expect((await collect(await driver.get(key))).toString()).toBe("unicode");
        const listed = [];
        for await (const object of driver.list(`${path.posix.dirname(key)}/`)) listed.push(object.key);
        expect(listed).toEqual([key]);
      });

      for (const how of ["fails", "is cancelled"] as const) {
        it(`a directory re-save that ${how} half way keeps every file of the previous version, each old or new`, async () => {
          const k = `${uniquePrefix()}/model/latest`;
          const names = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, "0")}.bin`);
          const v1 = path.join(scratch, uniquePrefix("v1"));
          await writeTree(v1, Object.fromEntries(names.map((n) => [n, Buffer.from(`v1 ${n}`)])));
          await saveFromPath(driver, k, v1, paths);
          const v2 = path.join(scratch, uniquePrefix("v2"));
          await writeTree(
            v2,
            Object.fromEntries([...names, "new-a.bin", "new-b.bin"].map((n) => [n, Buffer.from(`v2 ${n}`)])),
          );
          // The real backend underneath; its 21st put fails (or the call is cancelled there),
          // counted rather than named, as a folder lists in no set order.
          const controller = new AbortController();
          let puts = 0;
          const faultAt = (_objectKey: string) => {
            if (++puts !== 21) return;
            if (how === "is cancelled") controller.abort(new Error("cancelled"));
            else throw new Error("the disk died");
          };
          const flaky = withPutHook(driver, faultAt);
          await expect(saveFromPath(flaky, k, v2, paths, { signal: controller.signal })).rejects.toThrow();
          const listed = new Map<string, string>();
          for await (const o of driver.list(`${k}/`))
            listed.set(o.key.slice(k.length + 1), (await collect(await driver.get(o.key))).toString());
          for (const n of names) expect([`v1 ${n}`, `v2 ${n}`]).toContain(listed.get(n)); // nothing missing, nothing partial
          for (const [n, content] of listed) if (!names.includes(n)) expect(content).toBe(`v2 ${n}`); // new files stay whole
          if (isStaging(driver)) {
            // A store that stages a directory publishes none of it: the previous version, exactly.
            expect(Object.fromEntries(listed)).toEqual(Object.fromEntries(names.map((n) => [n, `v1 ${n}`])));
          }
          await saveFromPath(driver, k, v2, paths); // and a retry stores the new version whole
          for (const n of [...names, "new-a.bin", "new-b.bin"])
            expect((await collect(await driver.get(`${k}/${n}`))).toString()).toBe(`v2 ${n}`);
        });
      }

      it("ends concurrent puts of one key with one complete version", async () => {
        const key = `${uniquePrefix()}/raced`;
        const versions = [bytes(2 * MiB), bytes(2 * MiB), bytes(2 * MiB)];
        await Promise.all(versions.map((v) => driver.put(key, streamOf(v))));
        const stored = sha256(await collect(await driver.get(key)));
        expect(versions.map(sha256)).toContain(stored);
      });
    });

    describe("capabilities", () => {
      capabilityCases(options, () => ({
        driver,
        server,
        configuration: fixture.configuration,
        ...(fixture.proxied ? { proxied: fixture.proxied } : {}),
        ...(fixture.behind ? { behind: fixture.behind } : {}),
      }));
    });

    unchangedCases(() => ({ driver, scratch, paths }));
    copyCases(
      () => ({
        driver,
        server,
        configuration: fixture.configuration,
        ...(fixture.behind ? { behind: fixture.behind } : {}),
      }),
      options.digests === true,
    );

    describe("through the gRPC server", () => {
      const key = (name: string) => `${uniquePrefix()}/${name}`;

      it("saves a file and loads it back identical", async () => {
        const client = server.client(fixture.configuration);
        const source = path.join(scratch, "in.tgz");
        const data = bytes(3 * MiB + 7);
        await writeFile(source, data);
        const k = key("out.tgz");
        await client.save(source, k);
        const dest = path.join(scratch, `loaded-${uniquePrefix()}.tmp`);
        await client.load(k, dest);
        expect(sha256(await readFile(dest))).toBe(sha256(data));
      });

      it("saves a directory as key/<path> objects and loads the same tree", async () => {
        const client = server.client(fixture.configuration);
        const tree = {
          "top.txt": bytes(10),
          "a/b/c/deep.bin": bytes(300_000),
          "a/empty.txt": Buffer.alloc(0),
          "z/🚀.txt": bytes(5),
        };
        const source = path.join(scratch, uniquePrefix("dir"));
        await writeTree(source, tree);
        const k = key("outdir");
        await client.save(source, k);

        expect(await client.listObjects(k)).toEqual(
          Object.keys(tree)
            .map((rel) => `${k}/${rel}`)
            .sort(),
        );
        expect(await client.isDirectory(k)).toBe(true);
        expect(await client.isDirectory(`${k}/top.txt`)).toBe(false);
        expect(await client.isDirectory(`${k}-missing`)).toBe(false);

        const dest = path.join(scratch, `loaded-${uniquePrefix()}`);
        await client.load(k, dest);
        for (const [rel, content] of Object.entries(tree)) {
          expect(sha256(await readFile(path.join(dest, rel)))).toBe(sha256(content));
        }

        // OpenStream of a directory: a tar.gz of it, as GNU tar reads it.
        const archive = path.join(scratch, `${uniquePrefix()}.tgz`);
        await writeFile(archive, await collect(client.openStream(k)));
        const unpacked = path.join(scratch, uniquePrefix("unpacked"));
        await mkdir(unpacked);
        execFileSync("tar", ["-xzf", archive, "-C", unpacked]);
        expect(await readdir(unpacked)).toEqual(["outdir"]);
        for (const [rel, content] of Object.entries(tree)) {
          expect(sha256(await readFile(path.join(unpacked, "outdir", rel)))).toBe(sha256(content));
        }

        await client.delete(k);
        await client.delete(k);
        expect(await client.isDirectory(k)).toBe(false);
        await expect(client.load(k, path.join(scratch, uniquePrefix()))).rejects.toMatchObject({ code: "NOT_FOUND" });
      });

      it("refuses a second artifact frame in one SaveStream, storing nothing", async () => {
        const client = server.client(fixture.configuration);
        const k = key("two-frames");
        const status = await new Promise<{ code: number; details: string }>((resolve) => {
          const call = client.artifacts.SaveStream((error) => resolve(error ?? { code: 0, details: "" }));
          call.write({ output_artifact: client.artifact(k) });
          call.write({ chunk: Buffer.from("AAA") });
          call.write({ output_artifact: client.artifact(`${k}-second`) });
          call.write({ chunk: Buffer.from("BBB") });
          call.end();
        });
        expect(status).toMatchObject({
          code: grpc.status.INVALID_ARGUMENT,
          details: expect.stringContaining("one call stores one artifact"),
        });
        await expect(client.stat(k)).resolves.toMatchObject({ kind: "missing" });
        await expect(client.stat(`${k}-second`)).resolves.toMatchObject({ kind: "missing" });
      });

      it("ends a failed SaveStream with a non-OK status carrying the message, as Argo's client reads it", async () => {
        const client = server.client(fixture.configuration);
        const status = await new Promise<{ code: number; details: string }>((resolve) => {
          const call = client.artifacts.SaveStream((error) => resolve(error ?? { code: 0, details: "" }));
          call.write({ output_artifact: client.artifact("../refused") });
          call.write({ chunk: Buffer.alloc(1024) });
          call.end();
        });
        expect(status).toMatchObject({
          code: grpc.status.INVALID_ARGUMENT,
          details: expect.stringContaining("'..' segment"),
        });
      });

      it("streams in with SaveStream and out with OpenStream", async () => {
        const client = server.client(fixture.configuration);
        const data = bytes(4 * MiB + 3);
        const k = key("streamed");
        await client.saveStream(k, streamOf(data, 2 * MiB));
        expect(sha256(await collect(client.openStream(k)))).toBe(sha256(data));
      });

      it.each(["../escape", "/absolute", "a/../../b", "nul\0byte", "", "./."])(
        "refuses the unsafe key %j",
        async (bad) => {
          const client = server.client(fixture.configuration);
          await expect(client.load(bad, path.join(scratch, "never"))).rejects.toMatchObject({
            code: "INVALID_ARGUMENT",
          });
          await expect(client.delete(bad)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
        },
      );

      it("reports a missing key as NOT_FOUND naming the key", async () => {
        const client = server.client(fixture.configuration);
        const k = key("absent");
        await expect(client.load(k, path.join(scratch, "never"))).rejects.toMatchObject({
          code: "NOT_FOUND",
          message: expect.stringContaining(k),
        });
        await expect(collect(client.openStream(k))).rejects.toThrow(k);
      });
    });

    it("refuses unsafe keys at the driver's own edge too", async () => {
      // Drivers trust normalised keys, but must still never resolve outside their store.
      await expect(driver.put("../outside", streamOf(Buffer.from("x")))).rejects.toBeInstanceOf(InvalidKeyError);
    });
  });
}
