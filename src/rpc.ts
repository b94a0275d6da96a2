/**
 * The one adapter between grpc-js and our async handlers. It gives each call
 * a context (cancellation signal, driver lease, access-log fields), turns any
 * failure into the reply through `toRpcError`, and guarantees exactly one
 * reply per call.
 *
 * How failures travel: unary replies carry them in-band (`success: false`,
 * `error`), the channel Argo's client reads, with the status name in the
 * trailing metadata key `artifact-error-code` for other clients. SaveStream
 * ends with a non-OK status carrying the message: Argo's client reads only
 * the status once a Send has failed (plugin.go `sendFrame`), so an in-band
 * reply to a call it was still sending would be lost. OpenStream sends an
 * `error` frame and then ends the call with that gRPC status.
 */

import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import type { Driver } from "./driver.ts";
import {
  CancelledError,
  ERROR_CODE_METADATA,
  InvalidRequestError,
  type RpcError,
  statusName,
  toRpcError,
} from "./errors.ts";
import type { Artifact__Output } from "./generated/artifact/Artifact.ts";
import { normaliseKey } from "./keys.ts";
import type { LogFields, Logger } from "./log.ts";
import type { DriverLease, DriverRegistry } from "./registry.ts";
import { clip } from "./text.ts";

/** What a handler gets besides its request. */
export class CallContext {
  readonly signal: AbortSignal;
  /** Extra fields for the access-log line (bytes, objects, ...). */
  readonly fields: LogFields = {};
  private readonly leases: DriverLease[] = [];
  private readonly registry: DriverRegistry;
  private readonly abort = new AbortController();

  constructor(registry: DriverRegistry, call: { on(event: "cancelled", listener: () => void): unknown }) {
    this.registry = registry;
    this.signal = this.abort.signal;
    call.on("cancelled", () => this.abort.abort(new CancelledError()));
  }

  /** The driver and normalised key of an artifact from a request. */
  locate(artifact: Artifact__Output | null | undefined): { driver: Driver; key: string; skipUnchanged: boolean } {
    const plugin = this.pluginOf(artifact);
    this.fields["key"] = clip(plugin.key);
    const key = normaliseKey(plugin.key);
    const lease = this.lease(artifact);
    return { driver: lease.driver, key, skipUnchanged: lease.skipUnchanged };
  }

  /** The driver an artifact's configuration selects, for calls that need no key. */
  driverOf(artifact: Artifact__Output | null | undefined): Driver {
    return this.lease(artifact).driver;
  }

  private lease(artifact: Artifact__Output | null | undefined): DriverLease {
    const plugin = this.pluginOf(artifact);
    const lease = this.registry.acquire(plugin.configuration);
    this.leases.push(lease);
    this.fields["backend"] = lease.backend;
    return lease;
  }

  private pluginOf(artifact: Artifact__Output | null | undefined): NonNullable<Artifact__Output["plugin"]> {
    const plugin = artifact?.plugin;
    if (!artifact || !plugin) throw new InvalidRequestError("the request carries no artifact with a plugin location");
    this.fields["plugin"] = clip(plugin.name);
    this.fields["artifact"] = clip(artifact.name);
    return plugin;
  }

  /** Releases the drivers lent to this call. */
  close(): void {
    for (const lease of this.leases.splice(0)) lease.release();
  }
}

/** Builds grpc-js handlers around async functions, sharing one registry and logger. */
export class RpcAdapter {
  private readonly registry: DriverRegistry;
  private readonly log: Logger;

  constructor(registry: DriverRegistry, log: Logger) {
    this.registry = registry;
    this.log = log;
  }

  /** A unary handler; `failure` shapes the in-band error reply. */
  unary<Req, Res>(
    rpc: string,
    handle: (request: Req, ctx: CallContext) => Promise<Res>,
    failure: (message: string) => Res,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => this.reply(rpc, call, callback, (ctx) => handle(call.request, ctx), failure);
  }

  /** A client-streaming handler (SaveStream); a failure ends the call with its gRPC status. */
  clientStream<Req, Res>(
    rpc: string,
    handle: (call: grpc.ServerReadableStream<Req, Res>, ctx: CallContext) => Promise<Res>,
  ): grpc.handleClientStreamingCall<Req, Res> {
    return (call, callback) => {
      const ctx = new CallContext(this.registry, call);
      void this.run(rpc, ctx, () => handle(call, ctx)).then(
        (response) => callback(null, response),
        (error: RpcError) => callback({ code: error.code, details: error.message, metadata: errorTrailer(error) }),
      );
    };
  }

  /** A server-streaming handler (OpenStream); it writes its frames, the adapter ends the call. */
  serverStream<Req, Res>(
    rpc: string,
    handle: (call: grpc.ServerWritableStream<Req, Res>, ctx: CallContext) => Promise<void>,
    errorFrame: (message: string) => Res,
  ): grpc.handleServerStreamingCall<Req, Res> {
    return (call) => {
      const ctx = new CallContext(this.registry, call);
      void this.run(rpc, ctx, () => handle(call, ctx)).then(
        () => call.end(),
        (error: RpcError) => {
          if (call.cancelled) return; // nobody is listening any more
          call.write(errorFrame(error.message));
          call.emit("error", { code: error.code, details: error.message, metadata: errorTrailer(error) });
        },
      );
    };
  }

  /** Runs a call that ends with one reply message, in-band on failure. */
  private reply<Res>(
    rpc: string,
    call: { on(event: "cancelled", listener: () => void): unknown },
    callback: grpc.sendUnaryData<Res>,
    work: (ctx: CallContext) => Promise<Res>,
    failure: (message: string) => Res,
  ): void {
    const ctx = new CallContext(this.registry, call);
    void this.run(rpc, ctx, () => work(ctx)).then(
      (response) => callback(null, response),
      (error: RpcError) => callback(null, failure(error.message), errorTrailer(error)),
    );
  }

  /** Runs one call: logs its outcome, maps its failure, always releases its drivers. */
  private async run<T>(rpc: string, ctx: CallContext, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      this.log.info(`${rpc} ok`, { rpc, ...ctx.fields, ms: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      const mapped = toRpcError(ctx.signal.aborted ? new CancelledError() : error);
      const level = mapped.code === grpc.status.INTERNAL ? "error" : "warn";
      this.log[level](`${rpc} failed`, {
        rpc,
        ...ctx.fields,
        code: statusName(mapped.code),
        error: mapped.message,
        ms: Math.round(performance.now() - started),
      });
      throw mapped;
    } finally {
      ctx.close();
    }
  }
}

function errorTrailer(error: RpcError): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_METADATA, statusName(error.code));
  return metadata;
}
