/**
 * `npm run bench`: throughput and server memory of the plugin on a large
 * file, each beside a reference measured in the same run on the same disk:
 * `cp` (and `cp` + fsync) for Save/Load, a bare gRPC streaming loop for
 * OpenStream, GNU `tar cz` for directories streamed as tar.gz. These machines
 * are shared and noisy: read the ratios, not the absolute figures.
 *
 * BENCH_SIZE_MIB (default 1024) sets the file size, BENCH_TREE_MIB (default
 * 128) the directory size, BENCH_RUNS (default 3) the repetitions (median shown).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pipeline } from "node:stream/promises";
import { ArtifactClient } from "../src/client.ts";

const MiB = 1024 * 1024;
const size = Number(process.env["BENCH_SIZE_MIB"] ?? 1024) * MiB;
const treeSize = Number(process.env["BENCH_TREE_MIB"] ?? 128) * MiB;
const runs = Number(process.env["BENCH_RUNS"] ?? 3);
const root = await mkdtemp(path.join(process.env["BENCH_DIR"] ?? os.tmpdir(), "multistore-bench-"));
const children: ChildProcess[] = [];

async function startProcess(script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (c: Buffer) => c.toString().includes('"ready"') && resolve());
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}

/** Throughput, peak RSS growth (kernel high-water mark, reset before) and CPU of process `pid` during `work`. */
async function measure(pid: number, bytes: number, work: () => Promise<void>): Promise<Sample> {
  const status = async (field: string) => Number((await readFile(`/proc/${pid}/status`, "utf8")).match(new RegExp(`${field}:\\s+(\\d+)`))?.[1]) * 1024;
  const cpuSeconds = async () => {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  };
  await writeFile(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
  const before = await status("VmRSS");
  const cpuBefore = await cpuSeconds();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await cpuSeconds()) - cpuBefore;
  return { mbps: bytes / 1e6 / seconds, rssMiB: ((await status("VmHWM")) - before) / MiB, mbPerCpu: bytes / 1e6 / Math.max(cpu, 0.01) };
}

interface Sample {
  mbps: number;
  rssMiB: number;
  /** MB moved per CPU-second of the measured process: steadier than wall time on a shared machine. */
  mbPerCpu: number;
}

function timed(bytes: number, work: () => void): number {
  const started = performance.now();
  work();
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const dropCopy = (file: string) => rm(file, { force: true });

// --- inputs -------------------------------------------------------------------------------------
const bigFile = path.join(root, "big.bin");
await pipeline(async function* () {
  for (let written = 0; written < size; written += 16 * MiB) yield (await import("node:crypto")).randomBytes(Math.min(16 * MiB, size - written));
}, createWriteStream(bigFile));
const tree = path.join(root, "tree");
await makeTree(tree, treeSize);

// --- servers ------------------------------------------------------------------------------------
const drive = path.join(root, "drive");
await mkdir(drive);
const pluginSocket = path.join(root, "plugin.sock");
const plugin = await startProcess(path.resolve("src/main.ts"), [pluginSocket]);
const client = new ArtifactClient(pluginSocket, { configuration: `local: {drives: [${drive}]}` });
const ceilingSocket = path.join(root, "ceiling.sock");
const ceilingServer = await startProcess(path.resolve("bench/ceiling-server.ts"), [ceilingSocket, String(size)]);
const ceiling = new ArtifactClient(ceilingSocket, { configuration: "" });

// --- measurements -------------------------------------------------------------------------------
// Each plugin figure is taken right after its reference, so both see the same machine state.
interface Row { name: string; reference: string; plugin: Sample[]; ref: number[] }
const rows: Row[] = [];
const row = (name: string, reference: string): Row => {
  const r: Row = { name, reference, plugin: [], ref: [] };
  rows.push(r);
  return r;
};
const saveRow = row("Save (file → local, fsync'd)", "cp + fsync");
const streamInRow = row("SaveStream (client → local, fsync'd)", "cp + fsync");
const loadRow = row("Load (local → file)", "cp");
const openRow = row("OpenStream (local → client)", "bare gRPC stream");
const tarRow = row("OpenStream dir as tar.gz", "GNU tar cz");

const copy = path.join(root, "copy.bin");
const cpFsync = async () => {
  const mbps = timed(size, () => execFileSync("sh", ["-c", `cp "${bigFile}" "${copy}" && sync "${copy}"`]));
  await dropCopy(copy);
  return mbps;
};
const pid = plugin.pid as number;
for (let run = 0; run < runs; run++) {
  process.stderr.write(`run ${run + 1}/${runs}\n`);
  const key = `bench/big-${run}`;
  saveRow.ref.push(await cpFsync());
  saveRow.plugin.push(await measure(pid, size, () => client.save(bigFile, key)));

  streamInRow.ref.push(await cpFsync());
  streamInRow.plugin.push(
    await measure(pid, size, () => client.saveStream(`${key}-streamed`, createReadStream(bigFile, { highWaterMark: 2 * MiB }))),
  );
  await client.delete(`${key}-streamed`);

  loadRow.ref.push(timed(size, () => execFileSync("cp", [bigFile, copy])));
  await dropCopy(copy);
  loadRow.plugin.push(await measure(pid, size, () => client.load(key, copy)));
  await dropCopy(copy);

  openRow.ref.push((await measure(ceilingServer.pid as number, size, () => drain(ceiling.openStream("any")))).mbps);
  openRow.plugin.push(await measure(pid, size, () => drain(client.openStream(key))));
  await client.delete(key);

  if (run === 0) await client.save(tree, "bench/tree");
  tarRow.ref.push(timed(treeSize, () => execFileSync("sh", ["-c", `tar czf - -C "${root}" tree | wc -c > /dev/null`])));
  tarRow.plugin.push(await measure(pid, treeSize, () => drain(client.openStream("bench/tree"))));
}

const tarGzBytes = await countBytes(client.openStream("bench/tree"));
const gnuBytes = Number(execFileSync("sh", ["-c", `tar czf - -C "${root}" tree | wc -c`]).toString().trim());

// --- report -------------------------------------------------------------------------------------
const fmt = (n: number) => n.toFixed(0).padStart(6);
console.log(`\nmultistore benchmark: ${size / MiB} MiB file, ${treeSize / MiB} MiB tree, median of ${runs} runs, node ${process.version}, ${os.cpus().length} CPUs`);
console.log(`(files in page cache; MB/s = 10^6 bytes per second; RSS = server peak RSS growth during the operation)\n`);
console.log("| operation | plugin MB/s | reference | reference MB/s | ratio | server MB per CPU-s | server peak RSS growth |");
console.log("|---|---:|---|---:|---:|---:|---:|");
for (const r of rows) {
  const mbps = median(r.plugin.map((p) => p.mbps));
  const ratio = `${((mbps / median(r.ref)) * 100).toFixed(0)} %`;
  const cpu = median(r.plugin.map((p) => p.mbPerCpu));
  const rss = `${Math.max(...r.plugin.map((p) => p.rssMiB)).toFixed(1)} MiB`;
  console.log(`| ${r.name} | ${fmt(mbps)} | ${r.reference} | ${fmt(median(r.ref))} | ${ratio} | ${fmt(cpu)} | ${rss} |`);
}
console.log(`\ntar.gz size: plugin ${(tarGzBytes / MiB).toFixed(1)} MiB, GNU tar cz ${(gnuBytes / MiB).toFixed(1)} MiB (tree ${treeSize / MiB} MiB, half text, half random)`);

client.close();
ceiling.close();
for (const child of children) child.kill("SIGTERM");
await rm(root, { recursive: true, force: true });

async function drain(stream: AsyncIterable<Buffer>): Promise<void> {
  for await (const _chunk of stream);
}
async function countBytes(stream: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}

/** A tree of ~1 MiB files: half CSV-like text (compresses ~3x), half random (does not). */
async function makeTree(dir: string, total: number): Promise<void> {
  const { randomBytes } = await import("node:crypto");
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
