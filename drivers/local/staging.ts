/**
 * A directory Save as one unit (src/driver.ts StagedPuts): each file is
 * staged (writer.ts: shards written and flushed to temp files, nothing
 * visible), and only once every file is there are they committed, each under
 * its own lease. A Save that fails or is cancelled while staging, which is
 * nearly all of its time, leaves every object under the key as it was and
 * adds none. Each staged object costs a few hundred bytes until the commit;
 * past MAX_STAGED objects, puts commit at once, as plain puts do.
 */
import type { Readable } from "node:stream";
import { forEachConcurrently } from "../../src/concurrency.ts";
import type { StagedPuts, TransferOptions } from "../../src/driver.ts";
import type { DriveSet } from "./layout.ts";
import { type Layout, type StagedObject, stageObject } from "./writer.ts";

/** Objects committed at once: each commit is a few fsyncs and renames per drive. */
const COMMIT_CONCURRENCY = 8;
/** Objects held staged (about 300 bytes each); a larger directory commits the rest file by file. */
export const MAX_STAGED = 100_000;
/** How often staged temp files are touched: heal passes remove ours untouched for an hour. */
const TOUCH_EVERY_MS = 10 * 60_000;
const TOUCH_CONCURRENCY = 8;

export function stagedPuts(
  drives: DriveSet,
  layout: Layout,
  /** What every call of the driver checks first (key shape, drives ready). */
  begin: (key: string) => Promise<void>,
  /** The driver's folding of filesystem errors into ours. */
  fold: (error: unknown, key: string) => unknown,
  maxStaged = MAX_STAGED,
): StagedPuts {
  const staged = new Map<string, StagedObject>();
  let state: "staging" | "committing" | "done" = "staging";
  // Touched a few at a time, so the pass does not crowd other I/O out of libuv's threads.
  const touchAll = () => forEachConcurrently([...staged.values()], TOUCH_CONCURRENCY, (object) => object.touch());
  const touching = setInterval(() => void touchAll().catch(() => {}), TOUCH_EVERY_MS);
  touching.unref();

  return {
    async put(key: string, body: Readable, options?: TransferOptions): Promise<void> {
      try {
        if (state !== "staging") throw new Error("staged puts are already committed or discarded");
        await begin(key);
        const object = await stageObject(drives, layout, key, body, options);
        // Each step re-checks: a discard (or a put of the same key) may have run meanwhile.
        const replaced = staged.get(key);
        staged.delete(key);
        await replaced?.discard(); // the same key twice: the later body wins, as with puts
        if (state !== "staging" || staged.has(key)) {
          await object.discard();
          throw new Error(state === "staging" ? `'${key}' was staged again meanwhile` : "staged puts were discarded");
        }
        if (staged.size < maxStaged) return void staged.set(key, object);
        try {
          await object.commit(options?.signal);
        } finally {
          await object.discard();
        }
      } catch (error) {
        body.destroy();
        throw fold(error, key);
      }
    },

    async commit(): Promise<void> {
      if (state !== "staging") throw new Error("staged puts are already committed or discarded");
      state = "committing";
      try {
        await forEachConcurrently(staged.values(), COMMIT_CONCURRENCY, async (object) => {
          try {
            await object.commit();
          } catch (error) {
            throw fold(error, object.key);
          } finally {
            await object.discard();
            staged.delete(object.key);
          }
        });
      } finally {
        state = "done";
        clearInterval(touching); // a commit waiting on leases still keeps its files fresh
      }
    },

    async discard(): Promise<void> {
      if (state === "committing") return; // commit removes what it has finished with
      state = "done";
      clearInterval(touching);
      const left = [...staged.values()];
      staged.clear();
      await Promise.all(left.map((object) => object.discard()));
    },
  };
}
