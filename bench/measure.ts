/** Measuring helpers for the benchmark: processes, throughput, CPU and peak RSS. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { MiB } from "../src/units.ts";

export { MiB };

/** One measurement of an operation. */
export interface Sample {
  mbps: number;
  /** Peak RSS growth of the measured process during the operation. */
  rssMiB: number;
  /** Its peak RSS during the operation, all of it. */
  peakMiB: number;
  /** CPU-seconds it used. */
  cpuSeconds: number;
  /** MB moved per CPU-second of the measured process: steadier than wall time on a shared machine. */
  mbPerCpu: number;
}

const children: ChildProcess[] = [];

/** Starts a Node script and resolves once it logs `"ready"`. */
export function startProcess(script: string, args: string[]): Promise<ChildProcess> {
  return startProgram(process.execPath, [script, ...args]);
}

/** Starts a program and resolves once it logs `"ready"` on stderr. */
export async function startProgram(program: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(program, args, { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (c: Buffer) => c.toString().includes('"ready"') && resolve());
    child.once("exit", (code) => reject(new Error(`${program} ${args.join(" ")} exited with ${code}`)));
  });
  return child;
}

export function stopProcesses(): void {
  for (const child of children) child.kill("SIGTERM");
}

async function statusField(pid: number, field: string): Promise<number> {
  const match = (await readFile(`/proc/${pid}/status`, "utf8")).match(new RegExp(`${field}:\\s+(\\d+)`));
  return Number(match?.[1]) * 1024;
}

/** utime + stime of a process, in seconds (all its threads). */
export async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Throughput, peak RSS growth (kernel high-water mark, reset before) and CPU of process `pid` during `work`. */
export async function measure(pid: number, bytes: number, work: () => Promise<unknown>): Promise<Sample> {
  await writeFile(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
  const before = await statusField(pid, "VmRSS");
  const cpuBefore = await cpuSeconds(pid);
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await cpuSeconds(pid)) - cpuBefore;
  const peak = await statusField(pid, "VmHWM");
  return {
    mbps: bytes / 1e6 / seconds,
    rssMiB: (peak - before) / MiB,
    peakMiB: peak / MiB,
    cpuSeconds: cpu,
    mbPerCpu: bytes / 1e6 / Math.max(cpu, 0.01),
  };
}

/** MB/s of a synchronous piece of work. */
export function timed(bytes: number, work: () => void): number {
  const started = performance.now();
  work();
  return bytes / 1e6 / ((performance.now() - started) / 1000);
}

/** Waits until process `pid` is idle (background healing, GC), so it does not skew the next figure. */
export async function quiesce(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const before = await cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 250));
    if ((await cpuSeconds(pid)) - before < 0.02) return;
  }
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

export async function drain(stream: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}
