/** Bounded concurrency over an async stream of items, shared by transfers and drivers. */

/**
 * Runs `work` over `items` with at most `limit` at once. The first failure
 * (of a task or of the iteration itself) aborts the other tasks' signal, and
 * is thrown once every task has settled: nothing keeps running after return.
 */
export async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  limit: number,
  work: (item: T, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", stop, { once: true });
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    controller.abort(error);
  };
  try {
    for await (const item of items) {
      if (failure || controller.signal.aborted) break;
      const task: Promise<void> = work(item, controller.signal).then(() => void running.delete(task), (error: unknown) => {
        running.delete(task);
        fail(error);
      });
      running.add(task);
      if (running.size >= limit) await Promise.race(running);
    }
  } catch (error) {
    fail(error);
  } finally {
    await Promise.allSettled(running);
    outer?.removeEventListener("abort", stop);
  }
  if (failure) throw failure.error;
  outer?.throwIfAborted();
}
