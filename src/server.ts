/**
 * The gRPC server on its unix socket: binding (without stealing a live
 * socket from another server), permissions for clients of other UIDs, and
 * graceful shutdown.
 */

import { chmod, lstat, mkdir, unlink } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { createAdminService } from "./admin-service.ts";
import { createArtifactService } from "./artifact-service.ts";
import { PathPolicy } from "./local-paths.ts";
import { type Logger, silentLogger } from "./log.ts";
import { adminProto, artifactProto } from "./proto.ts";
import { DriverRegistry, driverDepsFromEnv } from "./registry.ts";
import { MiB } from "./units.ts";

export interface ServerOptions {
  socketPath: string;
  log?: Logger;
  registry?: DriverRegistry;
  /** The local paths Save and Load may use (default: PathPolicy.fromEnv()). */
  paths?: PathPolicy;
}

export interface RunningServer {
  readonly socketPath: string;
  /**
   * Stops accepting calls, lets calls in flight finish for up to `graceMs`,
   * then cancels what remains, disposes the drivers and removes the socket.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** A start-up failure with a message meant for the operator. */
export class StartupError extends Error {}

/** Starts the server on `socketPath`, creating its folder; resolves once it accepts connections. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const socketPath = path.resolve(options.socketPath);
  const log = options.log ?? silentLogger;
  // Built once: the drivers' Secrets, logger and allowed drive folders, from the environment.
  const registry = options.registry ?? new DriverRegistry({ deps: driverDepsFromEnv(process.env, log) });

  // Argo's init container may create this folder only after starting us (argo-workflows#16784).
  await mkdir(path.dirname(socketPath), { recursive: true });
  await removeStaleSocket(socketPath);

  const server = new grpc.Server({
    // SaveStream chunks are at most 2 MiB; leave room for framing.
    "grpc.max_receive_message_length": 8 * MiB,
    // Argo opens a connection per operation and never closes it: reap idle ones.
    "grpc.max_connection_idle_ms": 5 * 60 * 1000,
  });
  server.addService(
    artifactProto.artifact.ArtifactService.service,
    createArtifactService(registry, log, options.paths ?? PathPolicy.fromEnv()),
  );
  server.addService(adminProto.multistore.v1.Admin.service, createAdminService(registry, log));

  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(new StartupError(`cannot listen on ${socketPath}: ${error.message}`)) : resolve(),
    ),
  );
  // Argo's executor and argo-server may run as another UID; connecting needs write permission.
  await chmod(socketPath, 0o666);
  const socketInode = (await lstat(socketPath)).ino;

  let stopping: Promise<void> | undefined;
  return {
    socketPath,
    shutdown(graceMs: number): Promise<void> {
      stopping ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            log.warn("calls still running after the grace period; cancelling them", { graceMs });
            server.forceShutdown();
            resolve();
          }, graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await registry.dispose();
        // Remove the socket only if it is still ours (a successor may have bound the path).
        const current = await lstat(socketPath).catch(() => undefined);
        if (current?.ino === socketInode) await unlink(socketPath).catch(() => {});
      })();
      return stopping;
    },
  };
}

/**
 * Removes a socket file left by a dead server. A socket that still accepts
 * connections belongs to a live server: refuse rather than steal it. Anything
 * that is not a socket is not ours to delete.
 */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const info = await lstat(socketPath).catch(() => undefined);
  if (!info) return;
  if (!info.isSocket()) throw new StartupError(`${socketPath} exists and is not a socket; refusing to replace it`);
  if (await acceptsConnections(socketPath)) {
    throw new StartupError(`another server is already listening on ${socketPath}; stop it first`);
  }
  await unlink(socketPath).catch(() => {});
}

function acceptsConnections(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(true); // something holds it but is slow: treat as live, never steal
    });
    socket.once("error", () => resolve(false));
  });
}
