/**
 * The `local` backend: an erasure-coded object store over N directories
 * (normally N volumes), in the spirit of MinIO's erasure coding. Its design
 * (layout, writes, reads, healing, drives, leases across processes) is
 * described once, in the README's `local` section. Where each part lives:
 *
 * - codec.ts: Reed-Solomon k+m; bitrot.ts: the keyed HighwayHash of blocks and of the content;
 * - format.ts: the shard file (header, blocks) and its geometry; layout.ts: drives, paths, placement;
 * - identity.ts: which drive is which (aliases, reordered, foreign and replaced drives), from the
 *   marker files of marker.ts;
 * - writer.ts: a put streamed into temp shard files, each written by shard-file.ts (as heal.ts
 *   writes rebuilt ones); commit.ts: their publishing under the key's lease (lease.ts);
 *   staging.ts: a directory Save committed as one unit;
 * - resolve.ts: the version k drives agree on; shards.ts: stripes read and checked; reader.ts and
 *   block-window.ts: streamed reads, read-ahead, block buffers lent to the consumer;
 * - heal.ts: verify and rebuild an object, or all; healer.ts: when (damage a read found, passes
 *   on a schedule, the start-up sweep); listing.ts, delete.ts; files.ts and fs-errors.ts: file helpers.
 *
 * This file wires them into a Driver: drives identified on first use and
 * refreshed, and the store's calls.
 */
import path from "node:path";
import type { Readable } from "node:stream";
import type {
  HealingDriver,
  HealResult,
  HealSummary,
  ObjectInfo,
  StagedPuts,
  StagingDriver,
  TransferOptions,
} from "../../src/driver.ts";
import { DataLossError, NotFoundError, PermissionDeniedError, UnavailableError } from "../../src/errors.ts";
import { type Logger, silentLogger } from "../../src/log.ts";
import type { LocalConfig } from "./config.ts";
import { deleteObject } from "./delete.ts";
import { foldFsError } from "./fs-errors.ts";
import { healObject } from "./heal.ts";
import { Healer } from "./healer.ts";
import { attachDrives } from "./identity.ts";
import { checkKeyShape, DriveSet } from "./layout.ts";
import { listKeys } from "./listing.ts";
import { readObject } from "./reader.ts";
import { resolveObject } from "./resolve.ts";
import { stagedPuts } from "./staging.ts";
import { writeObject, writeQuorum } from "./writer.ts";

/** How often the drives are looked at again (a volume mounted, swapped or gone meanwhile). */
const REFRESH_MS = 5000;

export interface LocalDriverOptions {
  /** Folders the drives must lie in (the registry passes MULTISTORE_LOCAL_DRIVES); none: anywhere. */
  allowedRoots?: readonly string[];
  /** How long a commit lease lives without renewal; a killed holder's lease is broken after it. */
  leaseTtlMs?: number;
  /** Where background healing reports what it did and what failed. */
  log?: Logger;
  /** Objects a directory Save holds staged before it commits the rest file by file (staging.ts). */
  maxStaged?: number;
}

/**
 * Creates the driver for a validated `local` configuration. Nothing touches
 * the disk until the first call. Workflow authors write the configuration,
 * so an operator can confine drives to some folders (`allowedRoots`),
 * checked both as written and as resolved on disk.
 */
export function createLocalDriver(
  config: LocalConfig,
  options: LocalDriverOptions = {},
): HealingDriver & StagingDriver {
  const roots = (options.allowedRoots ?? []).map((r) => path.resolve(r));
  const confine = (drive: string, i: number, resolved = "") => {
    if (roots.length > 0 && !roots.some((root) => drive === root || drive.startsWith(`${root}/`))) {
      throw new PermissionDeniedError(
        `local.drives[${i}]: ${config.drives[i]}${resolved} is not under a folder this plugin allows (MULTISTORE_LOCAL_DRIVES)`,
      );
    }
  };
  for (const [i, drive] of config.drives.entries()) confine(drive, i);
  const log = options.log ?? silentLogger;
  const drives = new DriveSet(config.drives, {
    leaseTtlMs: options.leaseTtlMs,
    dataShards: config.dataShards,
    confine: (real, d) => confine(real, d, real === config.drives[d] ? "" : ` (at ${real})`),
  });
  const layout = { dataShards: config.dataShards, parityShards: config.parityShards, blockSize: config.blockSize };
  let disposed = false;
  const healer = new Healer(drives, {
    names: config.drives,
    log,
    intervalMinutes: config.healIntervalMinutes,
    ready: () => ensureReady(),
  });

  // --- the drives: identified on first use and every REFRESH_MS after ---------------------
  let attaching: Promise<void> | undefined;
  let attachedAt = 0;
  let swept = false;
  const healingSeen = new Set<number>();
  const attach = async () => {
    await attachDrives(drives);
    if (!swept) {
      swept = true;
      healer.sweepAtStart();
    }
    // A drive flagged for healing that this process has not started healing yet: heal now.
    const fresh = drives.online().filter((d) => !drives.vouchesForAbsence(d) && !healingSeen.has(d));
    if (fresh.length > 0 && !disposed) {
      for (const d of fresh) healingSeen.add(d);
      log.info("local: healing replaced drives", { drives: fresh.map((d) => config.drives[d]).join(", ") });
      void healer.runPass(true).catch(() => {});
    }
  };
  /** The drives are identified (`fresh`: looked at now) and enough are online; else throws. */
  const ensureReady = async (fresh = false): Promise<void> => {
    if (!attaching || fresh || Date.now() - attachedAt > REFRESH_MS) {
      attachedAt = Date.now();
      attaching = attach();
    }
    try {
      await attaching;
    } catch (error) {
      attaching = undefined; // look again on the next call: the volumes may be fixed by then
      throw error;
    }
    const online = drives.online().length;
    if (online < config.dataShards) {
      const offline = drives.states.flatMap((s, d) => (s.kind === "offline" ? [{ d, reason: s.reason }] : []));
      const allMissing = offline.every((o) => o.reason === "does not exist");
      const which = allMissing
        ? `${offline.length === 1 ? "local drive" : "local drives"} ${offline.map((o) => config.drives[o.d]).join(", ")} ${offline.length === 1 ? "does" : "do"} not exist: mount a volume there or create it`
        : `local drives unusable: ${offline.map((o) => `${config.drives[o.d]} ${o.reason}`).join("; ")}`;
      throw new UnavailableError(`${which} (${config.dataShards} of ${config.drives.length} drives needed)`);
    }
  };

  /**
   * Every call: the key is one the store can hold (a key that never can be is
   * INVALID_ARGUMENT even while drives are away), and the drives are ready.
   */
  const begin = async (key: string, fresh = false) => {
    checkKeyShape(key);
    await ensureReady(fresh);
    drives.checkKey(key);
  };

  const driver: HealingDriver & StagingDriver = {
    async get(key: string, options?: TransferOptions): Promise<Readable> {
      await begin(key);
      return readObject(drives, key, (damagedKey) => healer.queue(damagedKey), options?.signal).catch(
        (error: unknown) => {
          throw foldFsError(error, key);
        },
      );
    },

    async put(key: string, body: Readable, options?: TransferOptions): Promise<void> {
      try {
        await begin(key); // refuses a key that cannot be stored before reading a byte of the body
        await writeObject(drives, layout, key, body, options);
      } catch (error) {
        body.destroy(); // releases the source (an open file, a gRPC call) we will not read
        throw foldFsError(error, key);
      }
    },

    // A directory Save: every file staged, then all committed (staging.ts).
    stage(): StagedPuts {
      return stagedPuts(drives, layout, (key) => begin(key), foldFsError, options.maxStaged);
    },

    async stat(key: string): Promise<ObjectInfo> {
      await begin(key);
      const object = await resolveObject(drives, key).catch((error: unknown) => {
        throw foldFsError(error, key);
      });
      await object.close();
      const { size, mtime, sha256 } = object.header;
      return { key, size, modified: new Date(mtime), ...(sha256 ? { sha256 } : {}) };
    },

    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      await ensureReady();
      for await (const { key, drives: present } of listKeys(drives, prefix, config.parityShards)) {
        if (present < config.dataShards) continue; // below read quorum: not an object
        try {
          yield await driver.stat(key);
        } catch (error) {
          // Unreadable (shards disagree) or leftovers of a delete: not an object.
          if (!(error instanceof DataLossError || error instanceof NotFoundError)) throw error;
        }
      }
    },

    async delete(key: string): Promise<void> {
      await begin(key);
      await deleteObject(drives, key, writeQuorum(layout));
    },

    async deletePrefix(prefix: string): Promise<number> {
      await ensureReady();
      let deleted = 0;
      for await (const { key } of listKeys(drives, prefix, config.parityShards)) {
        await driver.delete(key);
        deleted++;
      }
      return deleted;
    },

    // Healing looks at the drives afresh: a disk replaced a moment ago is known as such.
    async heal(key: string): Promise<HealResult> {
      await begin(key, true);
      return healObject(drives, key);
    },

    async healAll(): Promise<HealSummary> {
      await ensureReady(true);
      return healer.runPass();
    },

    async dispose(): Promise<void> {
      disposed = true;
      await healer.dispose();
    },
  };
  return driver;
}
