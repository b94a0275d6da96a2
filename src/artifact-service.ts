/**
 * Argo's `artifact.ArtifactService` as
 * handlers over the driver contract. Semantics follow Argo's plugin contract
 * and its built-in S3 driver: a key is an object or a directory of objects
 * under `key/`; Delete is idempotent and removes both; IsDirectory never
 * fails for "not a directory"; `success` is set explicitly.
 */

import { recyclerOf } from "./driver.ts";
import { NotFoundError, ResourceExhaustedError } from "./errors.ts";
import { receiveUpload, sendFrames } from "./frames.ts";
import type { ArtifactServiceHandlers } from "./generated/artifact/ArtifactService.ts";
import type { SaveArtifactResponse } from "./generated/artifact/SaveArtifactResponse.ts";
import { directoryPrefix } from "./keys.ts";
import { type PathPolicy, requirePath } from "./local-paths.ts";
import type { Logger } from "./log.ts";
import { ARGO_MAX_MESSAGE_BYTES, repeatedStringBytes } from "./proto.ts";
import type { DriverRegistry } from "./registry.ts";
import { RpcAdapter } from "./rpc.ts";
import { clip } from "./text.ts";
import { artifactNotFound, isDirectory, loadToPath, openArtifact, saveFromPath, saveFromStream } from "./transfer.ts";

/** The in-band failure reply of Load, Save and Delete (all share this shape). */
const failed = (error: string): SaveArtifactResponse => ({ success: false, error });

/** The handlers of `artifact.ArtifactService`. */
export function createArtifactService(
  registry: DriverRegistry,
  log: Logger,
  paths: PathPolicy,
): ArtifactServiceHandlers {
  const rpc = new RpcAdapter(registry, log);
  return {
    Load: rpc.unary(
      "Load",
      async (request, ctx) => {
        const { driver, key } = ctx.locate(request.input_artifact);
        const dest = requirePath(request.path, "Load path");
        Object.assign(ctx.fields, await loadToPath(driver, key, dest, paths, ctx.signal));
        return { success: true };
      },
      failed,
    ),

    Save: rpc.unary(
      "Save",
      async (request, ctx) => {
        const { driver, key, skipUnchanged } = ctx.locate(request.output_artifact);
        const source = requirePath(request.path, "Save path");
        Object.assign(
          ctx.fields,
          await saveFromPath(driver, key, source, paths, { signal: ctx.signal, skipUnchanged, log }),
        );
        return { success: true };
      },
      failed,
    ),

    SaveStream: rpc.clientStream("SaveStream", async (call, ctx) => {
      const upload = await receiveUpload(call);
      const { driver, key } = ctx.locate(upload.artifact);
      await saveFromStream(driver, key, upload.body, ctx.signal);
      ctx.fields["bytes"] = upload.received();
      return { success: true };
    }),

    OpenStream: rpc.serverStream(
      "OpenStream",
      async (call, ctx) => {
        const { driver, key } = ctx.locate(call.request.artifact);
        const source = await openArtifact(driver, key, ctx.signal);
        try {
          ctx.fields["bytes"] = await sendFrames(source, call, recyclerOf(source));
        } finally {
          source.destroy(); // stop reading the backend if the client went away
        }
      },
      (error) => ({ error }),
    ),

    Delete: rpc.unary(
      "Delete",
      async (request, ctx) => {
        const { driver, key } = ctx.locate(request.artifact);
        await driver.delete(key);
        ctx.fields["objects"] = await driver.deletePrefix(directoryPrefix(key));
        return { success: true };
      },
      failed,
    ),

    ListObjects: rpc.unary(
      "ListObjects",
      async (request, ctx) => {
        const { driver, key } = ctx.locate(request.artifact);
        const objects: string[] = [];
        let replyBytes = repeatedStringBytes(""); // the reply's empty `error` field goes on the wire too
        for await (const object of driver.list(directoryPrefix(key))) {
          replyBytes += repeatedStringBytes(object.key);
          objects.push(object.key);
          // Argo's client would fail with an opaque size error; say what is wrong and what works
          // instead, without listing the rest (millions of keys would cost thousands of requests).
          if (replyBytes > ARGO_MAX_MESSAGE_BYTES) {
            throw new ResourceExhaustedError(
              `directory '${clip(key)}' holds at least ${objects.length} objects, and their keys make a ListObjects reply over ` +
                `the ${ARGO_MAX_MESSAGE_BYTES} bytes (4 MiB) Argo's client accepts. Its files can still be loaded, ` +
                "or downloaded whole as a tar.gz; to browse it, split it into smaller artifacts",
            );
          }
        }
        // As Argo's S3 driver: a plain object lists as empty; nothing at all is NotFound.
        if (objects.length === 0) {
          await driver.stat(key).catch((error: unknown) => {
            throw error instanceof NotFoundError ? artifactNotFound(key, error) : error;
          });
        }
        ctx.fields["objects"] = objects.length;
        return { objects: objects.sort(), error: "" };
      },
      (error) => ({ objects: [], error }),
    ),

    IsDirectory: rpc.unary(
      "IsDirectory",
      async (request, ctx) => {
        const { driver, key } = ctx.locate(request.artifact);
        return { is_directory: await isDirectory(driver, key), error: "" };
      },
      (error) => ({ is_directory: false, error }),
    ),

    GetCapabilities: rpc.unary(
      "GetCapabilities",
      async () => ({ supports_save_stream: true }),
      () => ({
        supports_save_stream: true,
      }),
    ),
  };
}
