/** Our real server on a temp unix socket, and clients of it, for tests. */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ArtifactClient } from "../../src/client.ts";
import type { PathPolicy } from "../../src/local-paths.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import { DriverRegistry, driverDepsFromEnv } from "../../src/registry.ts";
import type { SecretResolver } from "../../src/secrets.ts";
import { type RunningServer, startServer } from "../../src/server.ts";

export interface TestServer {
  server: RunningServer;
  socketPath: string;
  /** A scratch folder removed on stop; `dataDir` inside it is the local drive. */
  root: string;
  dataDir: string;
  /** The local-backend configuration over `dataDir`. */
  configuration: string;
  client(configuration?: string): ArtifactClient;
  stop(): Promise<void>;
}

/** `secrets`: the resolver the server's drivers use (a fixture's), instead of the environment's. */
export async function startTestServer(
  options: { log?: Logger; registry?: DriverRegistry; paths?: PathPolicy; secrets?: SecretResolver } = {},
): Promise<TestServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), "multistore-test-"));
  const socketPath = path.join(root, "plugin", "socket");
  const dataDir = path.join(root, "data");
  await mkdir(dataDir);
  const registry =
    options.registry ??
    (options.secrets ? new DriverRegistry({ deps: { ...driverDepsFromEnv(), secrets: options.secrets } }) : undefined);
  const server = await startServer({ socketPath, log: options.log ?? silentLogger, registry, paths: options.paths });
  const configuration = `local:\n  drives: [${JSON.stringify(dataDir)}]\n`;
  const clients: ArtifactClient[] = [];
  return {
    server,
    socketPath,
    root,
    dataDir,
    configuration,
    client(config = configuration) {
      const client = new ArtifactClient(socketPath, { configuration: config });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      await server.shutdown(2000);
      await rm(root, { recursive: true, force: true });
    },
  };
}
