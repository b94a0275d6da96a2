/**
 * A client of the plugin over its unix socket, built from the same proto.
 * The CLI, the tests and the benchmark use it; Argo uses its own Go client.
 * Unary failures come back in-band; this client turns them into
 * `ArtifactClientError` carrying the status name from the trailing metadata.
 */

import { Readable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { ERROR_CODE_METADATA } from "./errors.ts";
import type { Artifact } from "./generated/artifact/Artifact.ts";
import type { ArtifactServiceClient } from "./generated/artifact/ArtifactService.ts";
import type { AdminClient } from "./generated/multistore/v1/Admin.ts";
import type { CopyEvent__Output } from "./generated/multistore/v1/CopyEvent.ts";
import type { HealResponse__Output } from "./generated/multistore/v1/HealResponse.ts";
import type { StatResponse__Output } from "./generated/multistore/v1/StatResponse.ts";
import type { VerifiedObject__Output } from "./generated/multistore/v1/VerifiedObject.ts";
import { adminProto, artifactProto } from "./proto.ts";
import { MiB } from "./units.ts";

/** A failed call: `code` is the gRPC status name (e.g. `NOT_FOUND`), `message` the server's text. */
export class ArtifactClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ClientOptions {
  /** The artifact's `configuration` (YAML) sent with every call. */
  configuration: string;
  /** The plugin name Argo would send. */
  pluginName?: string;
}

/** What `stat` reports. */
export interface StatResult {
  kind: "file" | "directory" | "missing";
  size: number;
  objects: number;
  modified?: Date;
  /** A file's SHA-256 as its Save recorded it (hex). */
  sha256?: string;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // An 8 MiB window roughly doubles streaming throughput over grpc-js' 64 KiB default.
  "grpc-node.flow_control_window": 8 * MiB,
  "grpc.max_receive_message_length": 8 * MiB,
};

/** SaveStream chunk size, as Argo's client sends (at most 2 MiB). */
const UPLOAD_CHUNK_BYTES = MiB;

export class ArtifactClient {
  readonly artifacts: ArtifactServiceClient;
  readonly admin: AdminClient;
  private readonly options: Required<ClientOptions>;

  constructor(socketPath: string, options: ClientOptions) {
    const target = `unix://${socketPath}`;
    const credentials = grpc.credentials.createInsecure();
    this.artifacts = new artifactProto.artifact.ArtifactService(target, credentials, CHANNEL_OPTIONS);
    this.admin = new adminProto.multistore.v1.Admin(target, credentials, CHANNEL_OPTIONS);
    this.options = { pluginName: "multistore", ...options };
  }

  /** The artifact message for `key`, as Argo would fill it. */
  artifact(key: string, overrides: Partial<Artifact> = {}): Artifact {
    return {
      name: "artifact",
      plugin: { name: this.options.pluginName, configuration: this.options.configuration, key },
      ...overrides,
    };
  }

  /** Load: writes the file or directory `key` at `path` (on the server's filesystem). */
  async load(key: string, path: string): Promise<void> {
    const res = await this.unary<{ success: boolean; error: string }>("Load", {
      input_artifact: this.artifact(key),
      path,
    });
    if (!res.response.success) throw this.failure(res);
  }

  /** Save: stores the file or directory at `path` (read by the server) as `key`. */
  async save(path: string, key: string): Promise<void> {
    const res = await this.unary<{ success: boolean; error: string }>("Save", {
      path,
      output_artifact: this.artifact(key),
    });
    if (!res.response.success) throw this.failure(res);
  }

  /** SaveStream: uploads the bytes of `body` as `key`. */
  saveStream(key: string, body: AsyncIterable<Buffer> | Iterable<Buffer>, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let outcome: { error?: ArtifactClientError; response?: { success: boolean; error: string } } | undefined;
      const call = this.artifacts.SaveStream((error, response) => {
        outcome = error
          ? { error: new ArtifactClientError(grpc.status[error.code] ?? "UNKNOWN", error.details) }
          : { response: { success: response?.success ?? false, error: response?.error ?? "" } };
        if (error) reject(outcome.error);
      });
      // The reply's trailers (with the error code) arrive with the status, after the callback.
      call.on("status", (status: grpc.StatusObject) => {
        if (status.code !== grpc.status.OK || !outcome?.response) return;
        if (outcome.response.success) resolve();
        else reject(this.failure({ response: outcome.response, trailers: status.metadata }));
      });
      signal?.addEventListener("abort", () => call.cancel(), { once: true });
      void (async () => {
        call.write({ output_artifact: this.artifact(key) });
        for await (const chunk of body) {
          for (let offset = 0; offset < chunk.length; offset += UPLOAD_CHUNK_BYTES) {
            if (outcome) return; // the server already answered (a failure): stop sending
            if (!call.write({ chunk: chunk.subarray(offset, offset + UPLOAD_CHUNK_BYTES) })) {
              await new Promise((r) => call.once("drain", r));
            }
          }
        }
        call.end();
      })().catch((error: unknown) => {
        if (outcome) return;
        call.cancel();
        reject(error as Error);
      });
    });
  }

  /** OpenStream: the bytes of `key` (a directory comes as tar.gz). Destroying the stream cancels the call. */
  openStream(key: string): Readable {
    const call = this.artifacts.OpenStream({ artifact: this.artifact(key) });
    async function* data(): AsyncGenerator<Buffer> {
      let frameError: string | undefined;
      try {
        for await (const frame of call) {
          // An error frame fails the download, as in Argo's client; our server follows it
          // with the status, so read on for the code.
          if (frame.error) frameError ??= frame.error;
          if (frameError !== undefined) continue;
          if (frame.is_end) return; // as Argo's client does: stop, ignore any data in this frame
          if (frame.data.length > 0) yield frame.data;
        }
        if (frameError !== undefined) throw new ArtifactClientError("UNKNOWN", frameError);
      } catch (error) {
        if (error instanceof ArtifactClientError) throw error;
        const status = error as grpc.ServiceError;
        throw new ArtifactClientError(
          grpc.status[status.code] ?? "UNKNOWN",
          frameError ?? status.details ?? String(error),
        );
      } finally {
        call.cancel();
      }
    }
    return Readable.from(data(), { objectMode: false });
  }

  async delete(key: string): Promise<void> {
    const res = await this.unary<{ success: boolean; error: string }>("Delete", { artifact: this.artifact(key) });
    if (!res.response.success) throw this.failure(res);
  }

  async listObjects(key: string): Promise<string[]> {
    const res = await this.unary<{ objects: string[]; error: string }>("ListObjects", { artifact: this.artifact(key) });
    if (res.response.error) throw this.failure(res);
    return res.response.objects;
  }

  async isDirectory(key: string): Promise<boolean> {
    const res = await this.unary<{ is_directory: boolean; error: string }>("IsDirectory", {
      artifact: this.artifact(key),
    });
    if (res.response.error) throw this.failure(res);
    return res.response.is_directory;
  }

  async supportsSaveStream(): Promise<boolean> {
    const res = await this.unary<{ supports_save_stream: boolean }>("GetCapabilities", {});
    return res.response.supports_save_stream;
  }

  async stat(key: string): Promise<StatResult> {
    const res = await this.unary<StatResponse__Output>("Stat", { artifact: this.artifact(key) }, this.admin);
    if (res.response.error) throw this.failure(res);
    const modified = Number(res.response.modified_ms);
    return {
      kind: res.response.kind as StatResult["kind"],
      size: Number(res.response.size),
      objects: Number(res.response.objects),
      ...(modified > 0 ? { modified: new Date(modified) } : {}),
      ...(res.response.sha256 ? { sha256: res.response.sha256 } : {}),
    };
  }

  /** Heals `key`, or with `all` every object of the store (erasure-coded local backend). */
  async heal(key: string, all = false): Promise<HealResponse__Output> {
    const res = await this.unary<HealResponse__Output>("Heal", { artifact: this.artifact(key), all }, this.admin);
    if (res.response.error) throw this.failure(res);
    return res.response;
  }

  /** Verifies `key` (or with `all` every object under it as a prefix): each object's result, as it is checked. */
  verify(key: string, all = false): AsyncGenerator<VerifiedObject__Output> {
    return this.serverStream<VerifiedObject__Output>(this.admin.Verify({ artifact: this.artifact(key), all }));
  }

  /**
   * Copies `key` (or with `all` every object under it as a prefix) from this
   * client's store to the store `toConfiguration` selects: what happens, as it does.
   */
  copy(key: string, toConfiguration: string, all = false): AsyncGenerator<CopyEvent__Output> {
    const to = this.artifact(key, {
      plugin: { name: this.options.pluginName, configuration: toConfiguration, key },
    });
    return this.serverStream<CopyEvent__Output>(this.admin.Copy({ from: this.artifact(key), to, all }));
  }

  /** The messages of a server-streaming admin call; one carrying `error` (or a failed status) throws. */
  private async *serverStream<T extends { error: string }>(call: grpc.ClientReadableStream<T>): AsyncGenerator<T> {
    let failed: string | undefined;
    try {
      for await (const message of call as AsyncIterable<T>) {
        if (message.error)
          failed ??= message.error; // the status follows with the code: read on
        else if (failed === undefined) yield message;
      }
      if (failed !== undefined) throw new ArtifactClientError("UNKNOWN", failed);
    } catch (error) {
      if (error instanceof ArtifactClientError) throw error;
      const status = error as grpc.ServiceError;
      throw new ArtifactClientError(grpc.status[status.code] ?? "UNKNOWN", failed ?? status.details ?? String(error));
    } finally {
      call.cancel();
    }
  }

  /** Resolves once the connection is ready, as Argo's NewDriver waits for READY. */
  waitForReady(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.artifacts.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.artifacts.close();
    this.admin.close();
  }

  /** Calls a unary method and returns the response with the trailing metadata. */
  unary<Res>(
    method: string,
    request: object,
    client: grpc.Client = this.artifacts,
  ): Promise<{ response: Res; trailers: grpc.Metadata }> {
    return new Promise((resolve, reject) => {
      let response: Res | undefined;
      const fn = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method];
      if (!fn) return reject(new Error(`no method ${method}`));
      const call = fn.call(client, request, (error: grpc.ServiceError | null, value: Res) => {
        if (error) reject(new ArtifactClientError(grpc.status[error.code] ?? "UNKNOWN", error.details));
        else response = value;
      });
      call.on("status", (status: grpc.StatusObject) => {
        if (status.code === grpc.status.OK) resolve({ response: response as Res, trailers: status.metadata });
      });
    });
  }

  private failure(res: { response: { error: string }; trailers: grpc.Metadata }): ArtifactClientError {
    const code = res.trailers.get(ERROR_CODE_METADATA)[0];
    return new ArtifactClientError(typeof code === "string" ? code : "UNKNOWN", res.response.error);
  }
}
