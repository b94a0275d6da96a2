/**
 * The plugin beside the incumbent, on one MinIO, with the same files in the
 * same run: Argo's built-in S3 driver (Go, minio-go, in-process, as Argo's
 * executor and argo-server run it) against the plugin driven by Argo's own
 * plugin client over the socket. Both come from argo-workflows v4.0.5, in
 * the test/interop Go program (`interop bench ...`), built once into the
 * cache like the test peers. The socket hop's ceiling is measured two ways
 * with the same frames: a grpc-js server to Argo's grpc-go client (our
 * stack), and a grpc-go server to the same client (what a Go plugin gets).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ensureInterop } from "../test/peers/interop.ts";
import { measure, median, type Sample, startProcess, startProgram } from "./measure.ts";
import type { StoreUnderTest } from "./object-stores.ts";

export interface ArgoRow {
  name: string;
  /** Argo's built-in driver (or, for the ceiling rows, the grpc-go server), MB/s per run. */
  argo: Go[];
  /** The plugin: Argo's client's own figures, and the plugin process's. */
  plugin: { client: Go; server: Sample }[];
}

interface Go {
  mbps: number;
  cpuSeconds: number;
}

export interface ArgoBenchOptions {
  store: StoreUnderTest;
  pluginPid: number;
  socket: string;
  root: string;
  bigFile: string;
  size: number;
  runs: number;
}

/** A directory of 2,000 files of 32 KiB, as in the side-by-side the issue reports. */
async function smallTree(dir: string): Promise<number> {
  for (let i = 0; i < 2000; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, `f${i}.bin`), randomBytes(32 * 1024));
  }
  return 2000 * 32 * 1024;
}

export async function argoSideBySide(options: ArgoBenchOptions): Promise<ArgoRow[]> {
  const { store, pluginPid, socket, root, bigFile, size, runs } = options;
  if (!store.argoS3) throw new Error("the Argo side-by-side needs the s3 store");
  const interop = await ensureInterop();
  const env = {
    ...process.env,
    PLUGIN_SOCKET: socket,
    LOCAL_CONFIG: "-",
    WORK_DIR: root,
    PROTO_DIR: path.resolve("proto"), // the v4.1 SaveStream client builds its messages from our proto
    S3_CONFIG: store.configuration,
    S3_ENDPOINT: store.argoS3.endpoint,
    S3_BUCKET: store.argoS3.bucket,
    S3_ACCESS_KEY: store.argoS3.accessKey,
    S3_SECRET_KEY: store.argoS3.secretKey,
  };
  const go = (bytes: number, args: string[], socketPath = socket): Promise<Go> =>
    new Promise((resolve, reject) => {
      execFile(
        interop,
        ["bench", ...args],
        { env: { ...env, PLUGIN_SOCKET: socketPath }, maxBuffer: 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) return reject(new Error(`interop bench ${args.join(" ")}: ${stderr || error.message}`));
          const result = JSON.parse(stdout) as { seconds: number; cpuSeconds: number; bytes: number };
          // A stream that came short would look fast: every read must deliver every byte.
          if (args[0]?.endsWith("-open") && result.bytes !== bytes)
            return reject(new Error(`interop bench ${args.join(" ")}: read ${result.bytes} of ${bytes} bytes`));
          resolve({ mbps: bytes / 1e6 / result.seconds, cpuSeconds: result.cpuSeconds });
        },
      );
    });
  const viaPlugin = async (bytes: number, args: string[]) => {
    let client: Go | undefined;
    const server = await measure(pluginPid, bytes, async () => (client = await go(bytes, args)));
    return { client: client as Go, server };
  };

  const tree = path.join(root, "argo-tree");
  const treeBytes = await smallTree(tree);
  const dest = path.join(root, "argo-dest");
  const fresh = () => rm(dest, { recursive: true, force: true });
  const rows: ArgoRow[] = [
    "Save file",
    "Load file",
    "OpenStream file",
    "SaveStream file (v4.1 client)",
    "Save dir (2,000 files)",
    "Load dir (2,000 files)",
  ].map((name) => ({ name, argo: [], plugin: [] }));
  const [saveFile, loadFile, openFile, saveStream, saveDir, loadDir] = rows as [
    ArgoRow,
    ArgoRow,
    ArgoRow,
    ArgoRow,
    ArgoRow,
    ArgoRow,
  ];
  for (let run = 0; run < runs; run++) {
    process.stderr.write(`Argo side by side: run ${run + 1}/${runs}\n`);
    const [a, p] = [`argo/${run}/big.bin`, `plugin/${run}/big.bin`];
    saveFile.argo.push(await go(size, ["argo-s3-save", bigFile, a]));
    saveFile.plugin.push(await viaPlugin(size, ["plugin-save", bigFile, p]));
    loadFile.argo.push(await go(size, ["argo-s3-load", dest, a]));
    await fresh();
    loadFile.plugin.push(await viaPlugin(size, ["plugin-load", dest, p]));
    await fresh();
    openFile.argo.push(await go(size, ["argo-s3-open", "-", a]));
    openFile.plugin.push(await viaPlugin(size, ["plugin-open", "-", p]));
    saveStream.argo.push(saveFile.argo.at(-1) as Go); // Argo v4.0's built-in S3 driver has no SaveStream: its Save
    saveStream.plugin.push(await viaPlugin(size, ["plugin-save-stream", bigFile, `${p}-streamed`]));
    saveDir.argo.push(await go(treeBytes, ["argo-s3-save", tree, `argo/${run}/tree`]));
    saveDir.plugin.push(await viaPlugin(treeBytes, ["plugin-save", tree, `plugin/${run}/tree`]));
    loadDir.argo.push(await go(treeBytes, ["argo-s3-load", dest, `argo/${run}/tree`]));
    await fresh();
    loadDir.plugin.push(await viaPlugin(treeBytes, ["plugin-load", dest, `plugin/${run}/tree`]));
    await fresh();
  }

  // The socket hop, two ways, with Argo's client draining 1 MiB frames of nothing.
  const jsSocket = path.join(root, "ceiling-js.sock");
  const goSocket = path.join(root, "ceiling-go.sock");
  const jsServer = await startProcess(path.resolve("bench/ceiling-server.ts"), [jsSocket, String(size)]);
  const goServer = await startProgram(interop, ["bench", "serve-ceiling", goSocket, String(size)]);
  const ceiling: ArgoRow = {
    name: "bare OpenStream: grpc-js server (ours) vs grpc-go server (a Go plugin's)",
    argo: [],
    plugin: [],
  };
  for (let run = 0; run < runs; run++) {
    ceiling.argo.push(await go(size, ["ceiling-open", "-", "any"], goSocket));
    let client: Go | undefined;
    const server = await measure(
      jsServer.pid as number,
      size,
      async () => (client = await go(size, ["ceiling-open", "-", "any"], jsSocket)),
    );
    ceiling.plugin.push({ client: client as Go, server });
  }
  jsServer.kill("SIGTERM");
  goServer.kill("SIGTERM");
  await rm(tree, { recursive: true, force: true });
  return [...rows, ceiling];
}

/** The side-by-side table, as markdown. */
export function argoTable(rows: ArgoRow[]): string {
  const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(6);
  const lines = [
    "| operation | Argo built-in MB/s | plugin MB/s | plugin / Argo | CPU-s Argo | CPU-s plugin (server + client) | plugin peak RSS |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    const argo = median(row.argo.map((g) => g.mbps));
    const plugin = median(row.plugin.map((p) => p.client.mbps));
    const cpuArgo = median(row.argo.map((g) => g.cpuSeconds));
    const cpuServer = median(row.plugin.map((p) => p.server.cpuSeconds));
    const cpuClient = median(row.plugin.map((p) => p.client.cpuSeconds));
    const peak = Math.max(...row.plugin.map((p) => p.server.peakMiB));
    lines.push(
      `| ${row.name} | ${fmt(argo)} | ${fmt(plugin)} | ${((plugin / argo) * 100).toFixed(0)} % | ${fmt(cpuArgo, 1)} | ${fmt(cpuServer + cpuClient, 1)} (${cpuServer.toFixed(1)} + ${cpuClient.toFixed(1)}) | ${peak.toFixed(0)} MiB |`,
    );
  }
  return lines.join("\n");
}
