/**
 * The files at a drive's root that say whose it is: `format.json` (the
 * store's and the drive's ids, as MinIO's) and `healing.json` (this drive
 * must be rebuilt before its emptiness counts). Both are written to tmp/,
 * fsynced and linked into place, so a crash leaves the old file or the new
 * one, never half of one.
 */
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { link, mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "../../src/errors.ts";
import { type DriveSet, TEMP_OWNER } from "./layout.ts";

/** What `format.json` holds. */
export interface Marker {
  format: "multistore-local";
  version: 1;
  /** The store's id: the same on every drive. */
  store: string;
  /** This drive's id. */
  drive: string;
  /** Every drive's id, in the configuration's order: this drive's position is its index here. */
  drives: string[];
}

/** A marker read back: ours, someone else's file ("foreign"), or ours but damaged (undefined). */
export function parseMarker(text: string): Marker | "foreign" | undefined {
  let value: Partial<Marker>;
  try {
    value = JSON.parse(text) as Partial<Marker>;
  } catch {
    return text.includes('"multistore-local"') ? undefined : "foreign"; // ours, damaged; or someone else's file
  }
  if (value?.format !== "multistore-local") return "foreign";
  const ids = Array.isArray(value.drives) && value.drives.every((id) => typeof id === "string");
  if (value.version === 1 && typeof value.store === "string" && typeof value.drive === "string" && ids)
    return value as Marker;
  return undefined;
}

/** Writes a marker: created exclusively (EEXIST if another process got there first), or replacing a damaged one. */
export async function writeMarker(root: string, marker: Marker, replace = false): Promise<void> {
  const temp = await writeTemp(root, `${JSON.stringify(marker)}\n`);
  try {
    if (replace) await rename(temp, path.join(root, "format.json"));
    else await link(temp, path.join(root, "format.json")); // atomic create-if-absent, also on NFS
  } finally {
    await unlink(temp).catch(() => {});
  }
  await syncFolder(root);
}

/** Marks a drive as needing a full heal before its emptiness counts (healing.json; one already there stays). */
export async function writeHealingFlag(root: string, reason: string): Promise<void> {
  const temp = await writeTemp(root, `${JSON.stringify({ since: new Date().toISOString(), reason })}\n`);
  try {
    await link(temp, path.join(root, "healing.json"));
  } catch (error) {
    if (errnoCode(error) !== "EEXIST") throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  await syncFolder(root);
}

/** Clears a drive's healing flag once a heal pass has rebuilt everything onto it. */
export async function clearHealingFlag(drives: DriveSet, drive: number): Promise<void> {
  await unlink(drives.healingPath(drive)).catch((error: unknown) => {
    if (errnoCode(error) !== "ENOENT") throw error;
  });
  const state = drives.states[drive];
  if (state?.kind === "online") state.healing = false;
}

/** Writes `text` to a fresh file in the drive's tmp/ (made if missing: the drive itself exists) and fsyncs it. */
async function writeTemp(root: string, text: string): Promise<string> {
  await mkdir(path.join(root, "tmp")).catch((error: unknown) => {
    if (errnoCode(error) !== "EEXIST") throw error;
  });
  const temp = path.join(root, "tmp", `${TEMP_OWNER}-${randomUUID()}`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
  await handle?.sync().catch(() => {});
  await handle?.close();
}
