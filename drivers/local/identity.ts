/**
 * Drive identity, as MinIO's `format.json`: when a store is first written,
 * every drive gets a marker naming the store, the drive and its position, so
 * that the store can tell its own drives from anything else at those paths.
 *
 * Drives are resolved with realpath and compared by device and inode, so a
 * drive listed twice under two names (symlinks, a bind mount) is refused
 * instead of silently halving the fault tolerance. A drive with another
 * store's marker, or this store's marker at another position (drives
 * reordered), is refused with the field and the drive named. A drive that
 * exists without a marker in a store that has one elsewhere is a replaced
 * disk: it is given its marker back with a healing flag, rebuilt by a heal
 * pass, and until then its emptiness is not taken as evidence that objects
 * were deleted. A missing drive is never created: it is offline.
 *
 * Stores written before markers existed (objects on the drives, no marker
 * anywhere) are adopted: their drives get markers, and a drive without an
 * `objects/` folder is flagged for healing.
 */
import { randomUUID } from "node:crypto";
import { mkdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { errnoCode, InvalidConfigError } from "../../src/errors.ts";
import { readSmallFile } from "./files.ts";
import type { DriveSet, DriveState } from "./layout.ts";
import { type Marker, parseMarker, writeHealingFlag, writeMarker } from "./marker.ts";

/** Folders the store never uses as drives, however they are spelled. */
export const FORBIDDEN_ROOTS = ["/proc", "/sys", "/dev"];

interface Probe {
  drive: number;
  /** Set when the folder exists and can be used. */
  real?: string;
  dev?: number;
  ino?: number;
  offline?: string;
  marker?: Marker;
  /** A marker of ours that no longer parses whole (bitrot): the drive is taken as having lost it. */
  damagedMarker?: boolean;
  healing?: boolean;
  hasObjects?: boolean;
  /** Markers could not be written (a read-only volume): usable for reads, vouching for nothing. */
  readOnly?: boolean;
}

/** Whether `p` is one of the forbidden folders or inside one. */
export function isForbiddenRoot(p: string): boolean {
  return FORBIDDEN_ROOTS.some((root) => p === root || p.startsWith(`${root}/`));
}

/**
 * Looks at every drive, checks its identity, gives markers to drives that
 * need one, and records each drive's state and real path in `drives`.
 * Throws InvalidConfigError when a drive is not what the configuration says,
 * or what `drives.confine` throws for a drive resolved outside where it may
 * be (before anything is written there). Returns the drives newly flagged for healing.
 */
export async function attachDrives(drives: DriveSet): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const probes = await Promise.all(drives.configured.map((spelled, d) => probe(spelled, d, drives.confine)));
    checkDistinct(drives, probes);
    const present = probes.filter((p) => p.real !== undefined);
    let flagged: number[];
    try {
      flagged = present.some((p) => p.marker)
        ? await completeStore(drives, probes, present)
        : await createStore(drives, present);
    } catch (error) {
      // Another process marked a drive between our look and our write: look again.
      if (errnoCode(error) === "EEXIST" && attempt < 5) continue;
      throw error;
    }
    for (const p of probes) {
      if (p.real !== undefined) {
        drives.roots[p.drive] = p.real;
        drives.states[p.drive] = {
          kind: "online",
          healing: Boolean(p.healing || p.readOnly) || flagged.includes(p.drive),
        };
        for (const dir of [drives.objectsDir(p.drive), drives.tmpDir(p.drive), drives.locksDir(p.drive)]) {
          await mkdir(dir).catch(() => {}); // exists already, or a read-only drive: reads still work
        }
      } else {
        drives.states[p.drive] = { kind: "offline", reason: p.offline ?? "unknown" } satisfies DriveState;
      }
    }
    return flagged;
  }
}

async function probe(spelled: string, drive: number, confine: DriveSet["confine"]): Promise<Probe> {
  let real: string;
  try {
    real = await realpath(spelled);
  } catch (error) {
    return {
      drive,
      offline:
        errnoCode(error) === "ENOENT"
          ? "does not exist"
          : `cannot be accessed (${errnoCode(error) ?? (error as Error).message})`,
    };
  }
  if (isForbiddenRoot(real)) {
    throw new InvalidConfigError(
      `local.drives[${drive}]: ${spelled} resolves to ${real}, under ${FORBIDDEN_ROOTS.join(", ")}, which the local store never uses`,
    );
  }
  confine(real, drive);
  try {
    const info = await stat(real);
    if (!info.isDirectory()) return { drive, offline: "is not a folder" };
    const found: Probe = { drive, real, dev: info.dev, ino: info.ino };
    const text = await readSmallFile(path.join(real, "format.json")).catch((error: unknown) => {
      if (errnoCode(error) === "ENOENT") return undefined;
      throw error;
    });
    if (text !== undefined) {
      const marker = parseMarker(text);
      if (marker === "foreign") {
        throw new InvalidConfigError(
          `local.drives[${drive}] (${spelled}): holds a format.json that is not this store's; is this the right folder?`,
        );
      }
      found.marker = marker;
      found.damagedMarker = !marker;
    }
    found.healing = await exists(path.join(real, "healing.json"));
    found.hasObjects = await exists(path.join(real, "objects"));
    return found;
  } catch (error) {
    if (error instanceof InvalidConfigError) throw error;
    return { drive, offline: `cannot be accessed (${errnoCode(error) ?? (error as Error).message})` };
  }
}

/** Refuses two drives that are one folder, or one inside another, whatever their spelling. */
function checkDistinct(drives: DriveSet, probes: Probe[]): void {
  const name = (p: Probe) => `local.drives[${p.drive}] (${drives.configured[p.drive]})`;
  const present = probes.filter((p) => p.real !== undefined);
  for (const [i, a] of present.entries()) {
    for (const b of present.slice(0, i)) {
      if (a.dev === b.dev && a.ino === b.ino) {
        throw new InvalidConfigError(
          `${name(a)}: is the same folder as ${name(b)}, under another name (a link or a bind mount); list each drive once`,
        );
      }
      const [x, y] = [a.real as string, b.real as string];
      if (x.startsWith(`${y}/`) || y.startsWith(`${x}/`)) {
        throw new InvalidConfigError(
          `${name(a)}: resolves to ${x}, nested with ${name(b)} at ${y}; drives must be separate folders`,
        );
      }
    }
  }
}

/**
 * No drive has a marker: a new store, or one written before markers
 * (adopted). Only with most drives present, so that two stores can never be
 * made from two halves of one set of drives. Returns the drives flagged for healing.
 */
async function createStore(drives: DriveSet, present: Probe[]): Promise<number[]> {
  if (present.length * 2 <= drives.count) {
    for (const p of present) {
      p.offline = `waiting for most of the ${drives.count} drives to be present before creating the store`;
      p.real = undefined;
    }
    return [];
  }
  const legacy = present.some((p) => p.hasObjects);
  const template = { store: randomUUID(), drives: drives.configured.map(() => randomUUID()) };
  const flagged: number[] = [];
  // Drives in order, so two processes creating the store at once meet on the first
  // drive: the loser gets EEXIST there and adopts the winner's store on its next look.
  for (const p of present) {
    const marker: Marker = {
      format: "multistore-local",
      version: 1,
      store: template.store,
      drive: template.drives[p.drive] as string,
      drives: template.drives,
    };
    await markDrive(
      p,
      marker,
      legacy && !p.hasObjects ? "joined a store written before drive markers" : undefined,
      flagged,
    );
  }
  return flagged;
}

/** The store exists: check every marked drive and mark the others as replaced. */
async function completeStore(drives: DriveSet, probes: Probe[], present: Probe[]): Promise<number[]> {
  const marked = present.filter((p) => p.marker) as (Probe & { marker: Marker })[];
  // The store most drives name; a drive naming another is someone else's.
  const votes = new Map<string, number>();
  for (const p of marked) votes.set(p.marker.store, (votes.get(p.marker.store) ?? 0) + 1);
  const store = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
  const reference = (marked.find((p) => p.marker.store === store) as Probe & { marker: Marker }).marker;
  const where = (p: Probe) => `local.drives[${p.drive}] (${drives.configured[p.drive]})`;
  if (reference.drives.length !== probes.length) {
    throw new InvalidConfigError(
      `local.drives: the store on these drives has ${reference.drives.length} drives and the configuration lists ${probes.length}; a store cannot grow or shrink, list its drives as they were`,
    );
  }
  for (const p of marked) {
    if (p.marker.store !== store) {
      throw new InvalidConfigError(
        `${where(p)}: belongs to another store (its format.json names store ${p.marker.store}, the other drives ${store})`,
      );
    }
    const position = p.marker.drives.indexOf(p.marker.drive);
    if (position !== p.drive) {
      throw new InvalidConfigError(
        `${where(p)}: is drive ${position} of this store, not drive ${p.drive}; list the drives in their original order`,
      );
    }
  }
  const flagged: number[] = [];
  for (const p of marked.filter((q) => !q.hasObjects && !q.healing)) {
    // Marked, but its objects/ folder is gone (wiped by hand): as empty as a new disk.
    await writeHealingFlag(p.real as string, "its objects/ folder was gone").then(
      () => flag(p, flagged),
      (error: unknown) => unwritable(p, error),
    );
  }
  for (const p of present.filter((q) => !q.marker)) {
    const reason = p.damagedMarker ? "its format.json was damaged" : "it had no format.json (a replaced disk?)";
    await markDrive(p, { ...reference, drive: reference.drives[p.drive] as string }, reason, flagged);
  }
  return flagged;
}

/**
 * Gives a drive its marker, flagging it for healing first when `healing`
 * says why: a crash between the two leaves a flagged drive, never an
 * unflagged empty one that would vouch for objects being absent. A drive
 * that cannot be written (read-only) is used for reads only.
 */
async function markDrive(p: Probe, marker: Marker, healing: string | undefined, flagged: number[]): Promise<void> {
  try {
    if (healing) {
      await writeHealingFlag(p.real as string, healing);
      flag(p, flagged);
    }
    await writeMarker(p.real as string, marker, p.damagedMarker);
  } catch (error) {
    if (errnoCode(error) === "EEXIST") throw error; // another process got there first: look again
    unwritable(p, error);
  }
}

function flag(p: Probe, flagged: number[]): void {
  p.healing = true;
  flagged.push(p.drive);
}

/** A drive that could not take its marker or flag: read-only ones serve reads, others are offline. */
function unwritable(p: Probe, error: unknown): void {
  const code = errnoCode(error);
  if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
    p.readOnly = true;
    return;
  }
  p.offline = `cannot be written (${code ?? (error as Error).message})`;
  p.real = undefined;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return false;
    throw error;
  }
}
