#!/usr/bin/env node
/**
 * `multistore`: the plugin's command line. `serve <socket>` runs the plugin
 * (the image's entrypoint does the same); the other commands are clients of a
 * running plugin over its socket, speaking Argo's protocol as Argo would.
 */
import "./threadpool.ts"; // first: sizes the pool before any I/O
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, lstat, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { ArtifactClient, ArtifactClientError } from "./client.ts";
import { errnoCode } from "./errors.ts";
import { PathPolicy } from "./local-paths.ts";
import { serve } from "./main.ts";
import { createProgress, type Progress } from "./progress.ts";
import { parseConfiguration } from "./registry.ts";
import { MiB } from "./units.ts";

const DEFAULT_SOCKET = "/tmp/artifact-plugins/multistore/socket";

const USAGE = `Usage: multistore <command> [options]

Commands:
  serve <socket>          run the plugin on a unix socket (what Argo starts)
  put <file|dir> <key>    store a file (streamed over the socket) or a directory (read by the server)
  get <key> <dest>        fetch a file, or a directory tree, to <dest>
  cat <key>               write an object to stdout (a directory comes as tar.gz)
  ls <key>                list the objects of a directory artifact
  rm <key>                delete an object or a directory artifact
  stat <key>              show whether <key> is a file or a directory, its size, and a file's SHA-256
  heal <key> | heal --all verify an object (or the whole local store) and rebuild lost or damaged shards
  verify <key> | verify --all <prefix>
                          read objects whole and check each against the SHA-256 its Save recorded
  cp <key> --to <b.yaml> [--from <a.yaml>] [--all]
                          copy an artifact (with --all: every object under the prefix) to another store,
                          skipping what is there already; run it again to resume

Options:
  --config <file.yaml>    the artifact configuration to use (default: local backend under ./data)
  --from <file.yaml>      cp: the store to copy from (same as --config)
  --to <file.yaml>        cp: the store to copy to
  --socket <path>         the plugin's socket (default: $MULTISTORE_SOCKET or ${DEFAULT_SOCKET})
  -h, --help              show this help
`;

/** Exit codes: 0 ok, 1 failure, 2 usage, 3 not found. */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      socket: { type: "string" },
      help: { type: "boolean", short: "h" },
      all: { type: "boolean" },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  // A developer's server: besides Argo's folders, Save and Load may use the folder it runs in.
  if (command === "serve")
    process.exit(await serve(args[0], undefined, PathPolicy.fromEnv(process.env, [process.cwd()])));

  const run = commands[command];
  if (!run) return usage(`unknown command '${command}'`);
  if (command === "heal" && values.all) args.push(""); // `heal --all` names no key
  if (args.length !== run.arity) return usage(`'${command}' takes ${run.arity} argument(s)`);
  const flags: Flags = { all: values.all === true };
  if (command === "cp") {
    if (!values.to) return usage("'cp' needs --to <file.yaml>, the store to copy to");
    if (values.from && values.config) return usage("'cp' takes --from or --config, not both");
    flags.to = await loadConfiguration(values.to);
  }
  const configuration = await loadConfiguration(values.from ?? values.config);
  const socketPath = values.socket ?? process.env["MULTISTORE_SOCKET"] ?? DEFAULT_SOCKET;
  const client = new ArtifactClient(socketPath, { configuration });
  try {
    await client.waitForReady(5000).catch(() => {
      throw new Error(`no plugin is listening on ${socketPath} (start one with: multistore serve ${socketPath})`);
    });
    await run.action(client, args, flags);
    return 0;
  } finally {
    client.close();
  }
}

/** What the options say beside the arguments. */
interface Flags {
  all: boolean;
  /** cp: the destination's configuration. */
  to?: string;
}

interface Command {
  arity: number;
  action(client: ArtifactClient, args: string[], flags: Flags): Promise<void>;
}

/** Stat of `key`, or NOT_FOUND as the server answers it for a key that is neither an object nor a directory. */
async function statExisting(client: ArtifactClient, key: string) {
  const info = await client.stat(key);
  if (info.kind === "missing") throw new ArtifactClientError("NOT_FOUND", `artifact '${key}' not found`);
  return info;
}

const commands: Record<string, Command> = {
  put: {
    arity: 2,
    async action(client, [source = "", key = ""]) {
      const info = await stat(source);
      if (info.isDirectory()) {
        await client.save(path.resolve(source), key); // as Argo's executor does: the server walks the tree
        return;
      }
      const progress = createProgress(`put ${key}`, info.size);
      const meter = progress.meter();
      const sending = client.saveStream(key, meter);
      await Promise.all([pipeline(createReadStream(source, { highWaterMark: MiB }), meter), sending]);
      progress.done();
    },
  },
  get: {
    arity: 2,
    async action(client, [key = "", dest = ""]) {
      const info = await statExisting(client, key);
      if (info.kind === "directory") {
        await client.load(key, path.resolve(dest)); // the server writes the tree, as for Argo's Load
        return;
      }
      if (
        await stat(dest).then(
          () => true,
          () => false,
        )
      )
        throw new Error(`${dest} already exists`);
      const progress = createProgress(`get ${key}`, info.size);
      // A name of its own, created exclusively: a user's `x.partial` or a second `get` is never written over.
      const partial = `${dest}.multistore-partial-${randomUUID()}`;
      try {
        await pipeline(client.openStream(key), progress.meter(), createWriteStream(partial, { flags: "wx" }));
        await publishNew(partial, dest);
      } finally {
        await rm(partial, { force: true });
        progress.done();
      }
    },
  },
  cat: {
    arity: 1,
    async action(client, [key = ""]) {
      await pipeline(client.openStream(key), process.stdout);
    },
  },
  ls: {
    arity: 1,
    async action(client, [key = ""]) {
      for (const object of await client.listObjects(key)) process.stdout.write(`${object}\n`);
    },
  },
  rm: {
    arity: 1,
    async action(client, [key = ""]) {
      await client.delete(key);
    },
  },
  stat: {
    arity: 1,
    async action(client, [key = ""]) {
      const info = await statExisting(client, key);
      const lines = [`key:      ${key}`, `kind:     ${info.kind}`, `size:     ${info.size}`];
      if (info.kind === "directory") lines.push(`objects:  ${info.objects}`);
      if (info.modified) lines.push(`modified: ${info.modified.toISOString()}`);
      if (info.kind === "file") lines.push(`sha256:   ${info.sha256 ?? "(none recorded)"}`);
      process.stdout.write(`${lines.join("\n")}\n`);
    },
  },
  heal: {
    arity: 1,
    async action(client, [key = ""]) {
      const report = await client.heal(key || ".", key === "");
      for (const object of report.objects) {
        const drives = object.drives.length > 0 ? ` (drives ${object.drives.join(", ")})` : "";
        process.stdout.write(
          `${object.state.padEnd(13)} ${object.key}${drives}${object.detail ? `: ${object.detail}` : ""}\n`,
        );
      }
      process.stdout.write(
        `scanned ${report.scanned}, healthy ${report.healthy}, healed ${report.healed}, unrecoverable ${report.unrecoverable}` +
          `${key === "" ? `, temp files removed ${report.temp_files_removed}` : ""}\n`,
      );
      if (Number(report.unrecoverable) > 0)
        throw new Error(`${report.unrecoverable} object(s) cannot be rebuilt: too few good shards left`);
    },
  },
  verify: {
    arity: 1,
    async action(client, [key = ""], { all }) {
      const counts = { verified: 0, unverified: 0, damaged: 0, gone: 0 };
      for await (const object of client.verify(key, all)) {
        counts[object.state as keyof typeof counts]++;
        const detail = object.detail ? `: ${object.detail}` : "";
        process.stdout.write(`${object.state.padEnd(11)} ${object.key}${detail}\n`);
      }
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `checked ${total}: verified ${counts.verified}, unverified (no digest recorded) ${counts.unverified}, damaged ${counts.damaged}, gone ${counts.gone}\n`,
      );
      if (counts.damaged > 0) throw new Error(`${counts.damaged} object(s) do not match their recorded SHA-256`);
    },
  },
  cp: {
    arity: 1,
    async action(client, [key = ""], { all, to = "" }) {
      let progress: Progress | undefined;
      const failed: string[] = [];
      const summary = { copied: 0, skipped: 0, unverified: 0, bytes: 0 };
      for await (const event of client.copy(key, to, all)) {
        if (event.state === "planned") progress = createProgress(`cp ${key}`, Number(event.total_bytes));
        else if (event.state === "progress") progress?.update(Number(event.bytes));
        else if (event.state === "failed") failed.push(`${event.key}: ${event.detail}`);
        else if (event.state === "skipped") summary.skipped++;
        else {
          summary.copied++;
          summary.bytes += Number(event.bytes);
          if (event.detail) {
            summary.unverified++; // checked by size only: the detail says why
            process.stdout.write(`copied      ${event.key}: ${event.detail}\n`);
          }
        }
      }
      progress?.done();
      for (const line of failed) process.stderr.write(`failed      ${line}\n`);
      process.stdout.write(
        `copied ${summary.copied} (${(summary.bytes / MiB).toFixed(1)} MiB, ${summary.unverified} checked by size only), ` +
          `skipped ${summary.skipped} already there, failed ${failed.length}\n`,
      );
      if (failed.length > 0)
        throw new Error(`${failed.length} object(s) were not copied; run the same cp again to retry them`);
    },
  },
};

/** The configuration from `--config`, checked here so a typo is reported before any call; default: ./data. */
async function loadConfiguration(file: string | undefined): Promise<string> {
  const configuration = file
    ? await readFile(file, "utf8")
    : `local:\n  drives: [${JSON.stringify(path.resolve("data"))}]\n`;
  parseConfiguration(configuration);
  return configuration;
}

function usage(message: string): number {
  process.stderr.write(`multistore: ${message}\n\n${USAGE}`);
  return 2;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const notFound = error instanceof ArtifactClientError && error.code === "NOT_FOUND";
      process.stderr.write(`multistore: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = notFound ? 3 : 1;
    },
  );
}

/**
 * Puts the finished `partial` at `dest` unless something is there: link
 * refuses a file that appeared since the check, where rename would replace
 * it. A filesystem without hard links gets the rename after a last check.
 */
async function publishNew(partial: string, dest: string): Promise<void> {
  try {
    await link(partial, dest);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "EEXIST") throw new Error(`${dest} already exists`);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw error;
    if (
      await lstat(dest).then(
        () => true,
        () => false,
      )
    )
      throw new Error(`${dest} already exists`);
    await rename(partial, dest);
  }
}
