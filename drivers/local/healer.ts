/**
 * Healing in the background, for one driver: damage a read found, queued
 * per object and healed one object at a time; whole passes one at a time
 * (and, through a lease, one at a time across the processes sharing the
 * drives); a pass every healIntervalMinutes; the sweep of dead writers'
 * temp files when the drives are first attached. What heal.ts does to an
 * object, this decides when.
 */
import type { HealSummary } from "../../src/driver.ts";
import type { Logger } from "../../src/log.ts";
import { healAll, healObject, sweepTemps } from "./heal.ts";
import type { DriveSet } from "./layout.ts";
import { LeaseUnavailableError, withLease, withLeaseIfFree } from "./lease.ts";
import { clearHealingFlag } from "./marker.ts";

/** The lease heal passes take turns on (no key contains a NUL). */
const HEAL_PASS_LEASE = "\0heal-pass";

export class Healer {
  private readonly drives: DriveSet;
  /** The drives as configured, for log lines. */
  private readonly names: readonly string[];
  private readonly log: Logger;
  private readonly intervalMinutes: number;
  /** Attaches the drives and checks enough are online; throws if not. */
  private readonly ready: () => Promise<void>;
  private readonly damaged = new Set<string>();
  private healing: Promise<void> | undefined;
  private pass: Promise<HealSummary> | undefined;
  /** The start-up sweep; the first heal pass reports what it removed. */
  private startupSweep: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    drives: DriveSet,
    options: { names: readonly string[]; log: Logger; intervalMinutes: number; ready: () => Promise<void> },
  ) {
    this.drives = drives;
    this.names = options.names;
    this.log = options.log;
    this.intervalMinutes = options.intervalMinutes;
    this.ready = options.ready;
    this.schedule();
  }

  /** Removes dead writers' temp files in the background, once the drives are first attached. */
  sweepAtStart(): void {
    this.startupSweep = sweepTemps(this.drives).catch((error: unknown) => {
      this.log.warn("local: temp sweep failed", { error: (error as Error).message });
      return 0;
    });
  }

  /** Heals `key` soon: a read found it damaged. */
  queue(key: string): void {
    if (this.disposed) return;
    this.damaged.add(key);
    this.healing ??= (async () => {
      for (const next of this.damaged) {
        this.damaged.delete(next);
        await healObject(this.drives, next).catch((error: unknown) =>
          this.log.warn("local: heal failed", { key: next, error: (error as Error).message }),
        );
      }
      this.healing = undefined;
    })();
  }

  /**
   * A heal pass over every object; a caller during a pass gets that pass.
   * Clears the flags of replaced drives it rebuilt completely. Passes of
   * different processes over the same drives take turns through a lease; a
   * background pass (`whenFree`) skips its turn when another process is on one.
   */
  runPass(whenFree = false): Promise<HealSummary> {
    this.pass ??= (async () => {
      const work = () => this.passOnce();
      try {
        if (!whenFree) {
          return await withLease(this.drives, HEAL_PASS_LEASE, work).catch(async (error: unknown) => {
            if (error instanceof LeaseUnavailableError) return work(); // another process's pass is long: heal anyway
            throw error;
          });
        }
        const outcome = await withLeaseIfFree(this.drives, HEAL_PASS_LEASE, work);
        if (outcome !== "busy") return outcome;
        this.log.info("local: another process is healing these drives; skipping this pass");
        return { objects: 0, healthy: 0, healed: 0, unrecoverable: 0, tempFilesRemoved: 0, results: [] };
      } catch (error) {
        this.log.warn("local: heal pass failed", { error: (error as Error).message });
        throw error;
      } finally {
        this.pass = undefined;
      }
    })();
    return this.pass;
  }

  /** Stops the schedule and waits for the background work under way (sweep, heals, a pass) to end. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([this.healing, this.pass, this.startupSweep]);
  }

  private async passOnce(): Promise<HealSummary> {
    const { drives, log } = this;
    const failures = new Set<number>();
    const flagged = drives.online().filter((d) => !drives.vouchesForAbsence(d));
    const early = await this.startupSweep;
    this.startupSweep = undefined;
    const summary = await healAll(drives, failures, () => this.disposed);
    summary.tempFilesRemoved += early ?? 0;
    for (const d of flagged.filter((f) => !failures.has(f) && drives.isOnline(f))) {
      await clearHealingFlag(drives, d);
      log.info("local: drive rebuilt", { drive: this.names[d] });
    }
    if (summary.healed + summary.unrecoverable > 0) {
      const { objects, healed, unrecoverable } = summary;
      log.info("local: heal pass", { objects, healed, unrecoverable });
    }
    return summary;
  }

  /** A pass every intervalMinutes, re-armed only once the previous pass is done. */
  private schedule(): void {
    if (this.intervalMinutes <= 0 || this.disposed) return; // a pass ending after dispose does not re-arm
    const periodic = async () => {
      try {
        await this.ready();
      } catch (error) {
        this.log.warn("local: periodic heal pass skipped: the drives are not ready", {
          error: (error as Error).message,
        });
        return;
      }
      await this.runPass(true).catch(() => {}); // a failed pass logs itself
    };
    this.timer = setTimeout(() => void periodic().finally(() => this.schedule()), this.intervalMinutes * 60_000);
    this.timer.unref();
  }
}
