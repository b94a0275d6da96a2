/**
 * The plugin process, as Argo starts it: `<entrypoint> <socket path>`.
 * Extra arguments (Argo may append `executor.args`) are ignored. SIGTERM or
 * SIGINT drain calls in flight for SHUTDOWN_GRACE_SECONDS (default 20, below
 * Kubernetes' default 30 s grace period) and exit 0.
 */
import "./threadpool.ts"; // first: sizes the pool before any I/O
import { PathPolicy } from "./local-paths.ts";
import { createLogger, type Logger } from "./log.ts";
import { startServer } from "./server.ts";

const VERSION = "0.1.0";

/** Runs the server until a termination signal; resolves with the exit code. */
export async function serve(
  socketPath: string | undefined,
  log: Logger = createLogger(),
  paths = PathPolicy.fromEnv(),
): Promise<number> {
  if (!socketPath) {
    log.error("usage: main <socket path>, e.g. /tmp/artifact-plugins/multistore/socket");
    return 2;
  }
  const graceSeconds = Number(process.env["SHUTDOWN_GRACE_SECONDS"] ?? 20);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0) {
    log.error("SHUTDOWN_GRACE_SECONDS must be a number of seconds, e.g. 20");
    return 2;
  }
  const graceMs = graceSeconds * 1000;
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ socketPath, log, paths });
  } catch (error) {
    log.error("cannot start", { error: (error as Error).message });
    return 1;
  }
  log.info("ready", {
    socket: server.socketPath,
    version: VERSION,
    node: process.version,
    pid: process.pid,
    paths: paths.allowed.join(":"),
  });

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log.info("shutting down", { signal, graceMs });
  await server.shutdown(graceMs);
  log.info("stopped");
  return 0;
}

if (import.meta.main) {
  process.exitCode = await serve(process.argv[2]);
  process.exit();
}
