/**
 * Our own `multistore.v1.Admin` service, on the same socket as Argo's: what
 * the CLI needs and Argo's protocol cannot ask (an object's size and
 * digest, healing, verifying, copying between stores).
 */
import { type CopyEvent, copyObjects } from "./copy.ts";
import { type HealResult, isHealing } from "./driver.ts";
import { NotFoundError, UnimplementedError } from "./errors.ts";
import { writeMessage } from "./frames.ts";
import type { AdminHandlers } from "./generated/multistore/v1/Admin.ts";
import type { CopyEvent as CopyEventMessage } from "./generated/multistore/v1/CopyEvent.ts";
import type { HealedObject } from "./generated/multistore/v1/HealedObject.ts";
import { directoryPrefix } from "./keys.ts";
import type { Logger } from "./log.ts";
import type { DriverRegistry } from "./registry.ts";
import { RpcAdapter } from "./rpc.ts";
import { resolveArtifact } from "./transfer.ts";
import { verifyObjects } from "./verify.ts";

const healedObject = (r: HealResult): HealedObject => ({
  key: r.key,
  state: r.state,
  drives: r.drives,
  detail: r.detail ?? "",
});

export function createAdminService(registry: DriverRegistry, log: Logger): AdminHandlers {
  const rpc = new RpcAdapter(registry, log);
  return {
    Stat: rpc.unary(
      "Stat",
      async (request, ctx) => {
        const { driver, key } = ctx.locate(request.artifact);
        const artifact = await resolveArtifact(driver, key, () => driver.stat(key)).catch((error: unknown) => {
          if (error instanceof NotFoundError) return { kind: "missing" as const };
          throw error;
        });
        if (artifact.kind === "missing")
          return { kind: "missing", size: 0, objects: 0, modified_ms: 0, error: "", sha256: "" };
        if (artifact.kind === "object") {
          const info = artifact.object;
          const modified_ms = info.modified?.getTime() ?? 0;
          return { kind: "file", size: info.size, objects: 1, modified_ms, error: "", sha256: info.sha256 ?? "" };
        }
        let size = 0;
        let objects = 0;
        let modified = 0;
        for await (const object of driver.list(directoryPrefix(key))) {
          size += object.size;
          objects++;
          modified = Math.max(modified, object.modified?.getTime() ?? 0);
        }
        const kind = objects > 0 ? "directory" : "missing"; // emptied meanwhile: missing
        return { kind, size, objects, modified_ms: modified, error: "", sha256: "" };
      },
      (error) => ({ kind: "", error }),
    ),

    Heal: rpc.unary(
      "Heal",
      async (request, ctx) => {
        const located = request.all ? undefined : ctx.locate(request.artifact);
        const driver = located?.driver ?? ctx.driverOf(request.artifact);
        if (!isHealing(driver))
          throw new UnimplementedError(
            `the '${ctx.fields["backend"]}' backend repairs its own storage; nothing to heal`,
          );
        if (request.all) {
          const summary = await driver.healAll();
          Object.assign(ctx.fields, {
            objects: summary.objects,
            healed: summary.healed,
            unrecoverable: summary.unrecoverable,
          });
          return {
            objects: summary.results.map(healedObject),
            scanned: summary.objects,
            healthy: summary.healthy,
            healed: summary.healed,
            unrecoverable: summary.unrecoverable,
            temp_files_removed: summary.tempFilesRemoved,
            error: "",
          };
        }
        const result = await driver.heal(located?.key as string);
        ctx.fields["state"] = result.state;
        return {
          objects: result.state === "healthy" ? [] : [healedObject(result)],
          scanned: 1,
          healthy: result.state === "healthy" ? 1 : 0,
          healed: result.state === "healed" ? 1 : 0,
          unrecoverable: result.state === "unrecoverable" ? 1 : 0,
          temp_files_removed: 0,
          error: "",
        };
      },
      (error) => ({ error }),
    ),

    Verify: rpc.serverStream(
      "Verify",
      async (call, ctx) => {
        const { driver, key } = ctx.locate(call.request.artifact);
        const counts: Record<string, number> = {};
        await verifyObjects(
          driver,
          key,
          call.request.all,
          async (result) => {
            counts[result.state] = (counts[result.state] ?? 0) + 1;
            await writeMessage(call, { ...result, detail: result.detail ?? "", error: "" });
          },
          ctx.signal,
        );
        Object.assign(ctx.fields, counts);
      },
      (error) => ({ key: "", state: "", size: 0, detail: "", error }),
    ),

    Copy: rpc.serverStream(
      "Copy",
      async (call, ctx) => {
        const to = ctx.driverOf(call.request.to); // first: the access log's backend is then the source's
        const { driver: from, key } = ctx.locate(call.request.from);
        const summary = await copyObjects(
          from,
          to,
          key,
          call.request.all,
          (event) => writeMessage(call, copyEventMessage(event)),
          ctx.signal,
        );
        Object.assign(ctx.fields, summary);
      },
      (error) => ({ ...NO_EVENT, state: "", error }),
    ),
  };
}

/** A CopyEvent message's fields when they say nothing. */
const NO_EVENT = { key: "", bytes: 0, total_objects: 0, total_bytes: 0, detail: "", error: "" };

function copyEventMessage(event: CopyEvent): CopyEventMessage {
  if (event.state === "planned")
    return { ...NO_EVENT, state: event.state, total_objects: event.objects, total_bytes: event.bytes };
  if (event.state === "progress") return { ...NO_EVENT, state: event.state, bytes: event.bytes };
  return { ...NO_EVENT, state: event.state, key: event.key, bytes: event.bytes, detail: event.detail ?? "" };
}
