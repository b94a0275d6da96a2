/**
 * `npm run bench`: throughput and server memory of the plugin, each beside a
 * reference measured in the same run on the same disk: `cp` + fsync for
 * saves, `cp` and a plain read for loads, a bare gRPC stream (same message
 * size and window) for OpenStream, GNU `tar cz` for directories as tar.gz.
 * These machines are shared and noisy: read the ratios, not the absolutes.
 *
 * The object-store backends run against their real local servers, beside
 * the plain SDK doing the same transfer (bench/object-stores.ts); with s3
 * included, the plugin also runs beside Argo's own S3 driver, both driven by
 * Argo's Go code (bench/argo.ts).
 *
 * BENCH_SIZE_MIB (1024) file size; BENCH_TREE_MIB (128) directory size;
 * BENCH_RUNS (3) repetitions, median shown; BENCH_LARGE_GIB (10) size of the
 * streamed memory check (0 skips it); BENCH_DIR (os.tmpdir()) where to work;
 * BENCH_STORES (s3,azure,gcs) which object stores to include (empty: none).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pipeline } from "node:stream/promises";
import { DriveSet } from "../drivers/local/layout.ts";
import { ArtifactClient } from "../src/client.ts";
import { type ArgoRow, argoSideBySide, argoTable } from "./argo.ts";
import { codecFigures, FILE_SHA256 } from "./codec.ts";
import { drain, MiB, measure, median, quiesce, type Sample, startProcess, stopProcesses, timed } from "./measure.ts";
import { type StoreUnderTest, startAzureStore, startGcsStore, startS3Store } from "./object-stores.ts";

const size = Number(process.env["BENCH_SIZE_MIB"] ?? 1024) * MiB;
const treeSize = Number(process.env["BENCH_TREE_MIB"] ?? 128) * MiB;
const runs = Number(process.env["BENCH_RUNS"] ?? 3);
const largeGiB = Number(process.env["BENCH_LARGE_GIB"] ?? 10);
const root = await mkdtemp(path.join(process.env["BENCH_DIR"] ?? os.tmpdir(), "multistore-bench-"));

interface Row {
  name: string;
  reference: string;
  plugin: Sample[];
  ref: number[];
}
const rows: Row[] = [];
const row = (name: string, reference: string): Row => {
  const r: Row = { name, reference, plugin: [], ref: [] };
  rows.push(r);
  return r;
};

// --- inputs and servers ---------------------------------------------------------------------
const bigFile = path.join(root, "big.bin");
await pipeline(function* () {
  for (let written = 0; written < size; written += 16 * MiB) yield randomBytes(Math.min(16 * MiB, size - written));
}, createWriteStream(bigFile));
const otherFile = path.join(root, "other.bin"); // the same size, other bytes: a changed output
await pipeline(function* () {
  for (let written = 0; written < size; written += 16 * MiB) yield randomBytes(Math.min(16 * MiB, size - written));
}, createWriteStream(otherFile));
const tree = path.join(root, "tree");
await makeTree(tree, treeSize);
const single = path.join(root, "single");
const ecDrives = Array.from({ length: 6 }, (_, i) => path.join(root, `ec${i}`));
for (const dir of [single, ...ecDrives]) await mkdir(dir);

const storeFactories: Record<string, () => Promise<StoreUnderTest>> = {
  s3: startS3Store,
  azure: startAzureStore,
  gcs: startGcsStore,
};
const stores: StoreUnderTest[] = [];
const secretsDir = path.join(root, "secrets"); // every store's Secrets, as the plugin process sees them
await mkdir(secretsDir);
for (const name of (process.env["BENCH_STORES"] ?? "s3,azure,gcs").split(",").filter(Boolean)) {
  const start = storeFactories[name];
  if (!start)
    throw new Error(`BENCH_STORES: unknown store '${name}' (known: ${Object.keys(storeFactories).join(", ")})`);
  const store = await start();
  stores.push(store);
  for (const secret of await readdir(store.secretsDir))
    await symlink(path.join(store.secretsDir, secret), path.join(secretsDir, secret));
}
process.env["MULTISTORE_SECRETS_DIR"] = secretsDir; // inherited by the plugin process
process.env["MULTISTORE_PATHS"] = root; // the bench's files are where the plugin may Save from and Load to

const socket = path.join(root, "plugin.sock");
const plugin = await startProcess(path.resolve("src/main.ts"), [socket]);
const pid = plugin.pid as number;
const plain = new ArtifactClient(socket, { configuration: `local: {drives: [${single}]}` });
const ec = new ArtifactClient(socket, {
  configuration: `local: {drives: [${ecDrives.join(", ")}], dataShards: 4, parityShards: 2}`,
});
const ceilingSocket = path.join(root, "ceiling.sock");
const ceilingServer = await startProcess(path.resolve("bench/ceiling-server.ts"), [ceilingSocket, String(size)]);
const ceiling = new ArtifactClient(ceilingSocket, { configuration: "" });

// --- measurements ---------------------------------------------------------------------------
// Each plugin figure is taken right after its reference, so both see the same machine state.
const copy = path.join(root, "copy.bin");
const cpFsync = async () => {
  const mbps = timed(size, () => execFileSync("sh", ["-c", `cp "${bigFile}" "${copy}" && sync "${copy}"`]));
  await rm(copy, { force: true });
  return mbps;
};
const cp = async () => {
  const mbps = timed(size, () => execFileSync("cp", [bigFile, copy]));
  await rm(copy, { force: true });
  return mbps;
};
/**
 * The bytes a healthy Load reads, written the way it writes them: `cat` of
 * the object's data shard files into a file. A `sync` first, so writeback of
 * the Save before does not land in either figure.
 */
const catShards = async (drives: string[], dataShards: number, key: string) => {
  const set = new DriveSet(drives);
  const files: string[] = [];
  for (let index = 0; index < dataShards; index++) {
    const dir = set.versionsDir(set.driveFor(key, index), key);
    for (const version of await readdir(dir)) files.push(path.join(dir, version));
  }
  execFileSync("sync");
  const mbps = timed(size, () => execFileSync("sh", ["-c", `cat ${files.map((f) => `"${f}"`).join(" ")} > "${copy}"`]));
  await rm(copy, { force: true });
  execFileSync("sync");
  return mbps;
};
const plainRead = () => timed(size, () => execFileSync("sh", ["-c", `cat "${bigFile}" > /dev/null`]));

const sections: [label: string, client: ArtifactClient, drives: string[], dataShards: number][] = [
  ["local 1 drive", plain, [single], 1],
  ["local EC 4+2", ec, ecDrives, 4],
];
for (const [label, client, drives, dataShards] of sections) {
  const erasure = dataShards > 1;
  const save = row(`${label}: Save (file, fsync'd)`, "cp + fsync");
  const saveStream = row(`${label}: SaveStream`, "cp + fsync");
  const load = row(`${label}: Load (to a file)`, "cat of the data shards");
  const open = row(`${label}: OpenStream`, "bare gRPC stream");
  const degradedLoad = erasure ? row(`${label}: Load, 2 drives lost`, "cp") : undefined;
  const degradedOpen = erasure ? row(`${label}: OpenStream, 2 drives lost`, "plain read (cat)") : undefined;
  for (let run = 0; run < runs; run++) {
    process.stderr.write(`${label}: run ${run + 1}/${runs}\n`);
    const key = `bench/big-${run}`;
    save.ref.push(await cpFsync());
    save.plugin.push(await measure(pid, size, () => client.save(bigFile, key)));
    saveStream.ref.push(await cpFsync());
    saveStream.plugin.push(
      await measure(pid, size, () =>
        client.saveStream(`${key}-s`, createReadStream(bigFile, { highWaterMark: 2 * MiB })),
      ),
    );
    await client.delete(`${key}-s`);
    load.ref.push(await catShards(drives, dataShards, key));
    load.plugin.push(await measure(pid, size, () => client.load(key, copy)));
    await rm(copy, { force: true });
    open.ref.push((await measure(ceilingServer.pid as number, size, () => drain(ceiling.openStream("any")))).mbps);
    open.plugin.push(await measure(pid, size, () => drain(client.openStream(key))));
    if (degradedLoad && degradedOpen) {
      const drives = new DriveSet(ecDrives);
      for (const index of [0, 1]) await rm(drives.versionsDir(drives.driveFor(key, index), key), { recursive: true }); // two data shards
      degradedLoad.ref.push(await cp());
      degradedLoad.plugin.push(await measure(pid, size, () => client.load(key, copy)));
      await rm(copy, { force: true });
      degradedOpen.ref.push(plainRead());
      degradedOpen.plugin.push(await measure(pid, size, () => drain(client.openStream(key))));
    }
    await client.delete(key);
    await quiesce(pid); // reads of damaged objects queue a heal; let it finish
  }
}

for (const store of stores) {
  const client = new ArtifactClient(socket, { configuration: store.configuration });
  const save = row(`${store.name}: Save (file)`, "plain SDK upload");
  const load = row(`${store.name}: Load (to a file)`, "plain SDK download to a file");
  const open = row(`${store.name}: OpenStream`, "plain SDK download");
  const unchanged = row(`${store.name}: Save again, unchanged (not sent)`, "its first Save");
  const changed = row(`${store.name}: Save again, changed, same size`, "the same, skipUnchanged: false");
  const skipOff = new ArtifactClient(socket, { configuration: withField(store.configuration, "skipUnchanged: false") });
  for (let run = 0; run < runs; run++) {
    process.stderr.write(`${store.name}: run ${run + 1}/${runs}\n`);
    const key = `bench/big-${run}`;
    save.ref.push(await throughput(size, () => store.upload(bigFile, `${key}-sdk`)));
    const first = await measure(pid, size, () => client.save(bigFile, key));
    save.plugin.push(first);
    unchanged.ref.push(first.mbps);
    unchanged.plugin.push(await measure(pid, size, () => client.save(bigFile, key)));
    // Stored: bigFile. Other bytes of the same size, sent with the skip off, then with it on.
    changed.ref.push((await measure(pid, size, () => skipOff.save(otherFile, key))).mbps);
    changed.plugin.push(await measure(pid, size, () => client.save(bigFile, key)));
    load.ref.push(await throughput(size, () => store.download(`${key}-sdk`, copy)));
    await rm(copy, { force: true });
    load.plugin.push(await measure(pid, size, () => client.load(key, copy)));
    await rm(copy, { force: true });
    open.ref.push(await throughput(size, () => store.read(`${key}-sdk`)));
    open.plugin.push(await measure(pid, size, () => drain(client.openStream(key))));
    await client.delete(key);
    await client.delete(`${key}-sdk`);
  }
  client.close();
  skipOff.close();
}

const s3Store = stores.find((store) => store.argoS3);
const argoRows: ArgoRow[] = s3Store
  ? await argoSideBySide({ store: s3Store, pluginPid: pid, socket, root, bigFile, size, runs })
  : [];

const tarRow = row("directory as tar.gz (OpenStream)", "GNU tar cz");
await plain.save(tree, "bench/tree");
for (let run = 0; run < runs; run++) {
  tarRow.ref.push(timed(treeSize, () => execFileSync("sh", ["-c", `tar czf - -C "${root}" tree | wc -c > /dev/null`])));
  tarRow.plugin.push(await measure(pid, treeSize, () => drain(plain.openStream("bench/tree"))));
}
const tarGzBytes = await drain(plain.openStream("bench/tree"));
const gnuBytes = Number(
  execFileSync("sh", ["-c", `tar czf - -C "${root}" tree | wc -c`])
    .toString()
    .trim(),
);

const large: { name: string; sample: Sample }[] = [];
if (largeGiB > 0) {
  process.stderr.write(`streaming ${largeGiB} GiB through local EC 4+2\n`);
  const bytes = largeGiB * 1024 * MiB;
  const block = randomBytes(2 * MiB);
  function* generated(): Generator<Buffer> {
    for (let sent = 0; sent < bytes; sent += block.length) yield block;
  }
  large.push({
    name: `SaveStream ${largeGiB} GiB (generated)`,
    sample: await measure(pid, bytes, () => ec.saveStream("bench/large", generated())),
  });
  large.push({
    name: `OpenStream ${largeGiB} GiB`,
    sample: await measure(pid, bytes, () => drain(ec.openStream("bench/large"))),
  });
  await ec.delete("bench/large");
}
const codec = await codecFigures({ path: bigFile, size });

// --- report ---------------------------------------------------------------------------------
const fmt = (n: number) => n.toFixed(0).padStart(6);
console.log(
  `\nmultistore benchmark: ${size / MiB} MiB file, ${treeSize / MiB} MiB tree, median of ${runs} runs, node ${process.version}, ${os.cpus().length} CPUs`,
);
console.log(
  "(page-cached inputs; MB = 10^6 bytes; RSS = the server's peak RSS growth during the operation, worst run)\n",
);
console.log(
  "| operation | plugin MB/s | reference | reference MB/s | ratio | server MB per CPU-s | server peak RSS growth |",
);
console.log("|---|---:|---|---:|---:|---:|---:|");
for (const r of rows) {
  const mbps = median(r.plugin.map((p) => p.mbps));
  const ratio = `${((mbps / median(r.ref)) * 100).toFixed(0)} %`;
  const rss = `${Math.max(...r.plugin.map((p) => p.rssMiB)).toFixed(1)} MiB`;
  console.log(
    `| ${r.name} | ${fmt(mbps)} | ${r.reference} | ${fmt(median(r.ref))} | ${ratio} | ${fmt(median(r.plugin.map((p) => p.mbPerCpu)))} | ${rss} |`,
  );
}
if (argoRows.length > 0) {
  console.log(
    "\nBeside Argo's built-in S3 driver on the same MinIO (both from argo-workflows v4.0.5; the plugin driven by Argo's plugin client):\n",
  );
  console.log(argoTable(argoRows));
}
console.log(
  `\ntar.gz size: plugin ${(tarGzBytes / MiB).toFixed(1)} MiB, GNU tar cz ${(gnuBytes / MiB).toFixed(1)} MiB (tree ${treeSize / MiB} MiB, half text, half random)`,
);
if (large.length > 0) {
  console.log(
    "\n| large stream (memory check) | MB/s | server MB per CPU-s | server peak RSS growth |\n|---|---:|---:|---:|",
  );
  for (const { name, sample } of large)
    console.log(`| ${name} | ${fmt(sample.mbps)} | ${fmt(sample.mbPerCpu)} | ${sample.rssMiB.toFixed(1)} MiB |`);
}
console.log("\n| building block (bench process) | MB of data per CPU-s |\n|---|---:|");
for (const figure of codec) console.log(`| ${figure.name} | ${fmt(figure.mbPerCpu)} |`);
const hashing = codec.find((figure) => figure.name === FILE_SHA256)?.mbPerCpu ?? 0;
console.log("\n| digest's share of a file Save's CPU (server) | % |\n|---|---:|");
for (const r of rows.filter((r) => r.name.endsWith("Save (file)") || r.name.includes("Save (file, fsync'd)"))) {
  const perCpu = median(r.plugin.map((p) => p.mbPerCpu));
  console.log(`| ${r.name} | ${((perCpu / hashing) * 100).toFixed(0)} % |`);
}

for (const client of [plain, ec, ceiling]) client.close();
stopProcesses();
for (const store of stores) await store.stop();
await rm(root, { recursive: true, force: true });

/** `configuration` (one backend's mapping, in flow or block style) with one more field. */
function withField(configuration: string, field: string): string {
  const text = configuration.trim();
  return text.endsWith("}") ? `${text.slice(0, -1)}, ${field}}` : `${text}\n  ${field}\n`;
}

/** MB/s of an asynchronous piece of work in the bench process. */
async function throughput(bytes: number, work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

/** A tree of ~1 MiB files: half CSV-like text (compresses ~3x), half random (does not). */
async function makeTree(dir: string, total: number): Promise<void> {
  for (let i = 0, written = 0; written < total; i++) {
    const sub = path.join(dir, `part-${Math.floor(i / 32)}`);
    await mkdir(sub, { recursive: true });
    let content: Buffer;
    if (i % 2 === 0) {
      const lines: string[] = [];
      for (let bytes = 0; bytes < MiB; ) {
        const line = `${1700000000 + i * 1000 + lines.length},user-${(lines.length * 7919) % 10007},${Math.random().toFixed(6)},ok\n`;
        lines.push(line);
        bytes += line.length;
      }
      content = Buffer.from(lines.join(""));
    } else {
      content = randomBytes(MiB);
    }
    await writeFile(path.join(sub, `file-${i}.${i % 2 === 0 ? "csv" : "bin"}`), content);
    written += content.length;
  }
}
