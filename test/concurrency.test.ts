/** The small concurrency tools every layer shares (src/concurrency.ts). */
import { describe, expect, it } from "vitest";
import { backoffMs, KeyLocks, pause, UntilFailure } from "../src/concurrency.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyLocks", () => {
  it("runs work for one key one call after another, and for different keys at once", async () => {
    const locks = new KeyLocks();
    const events: string[] = [];
    let releaseFirst: () => void = () => {};
    const first = locks.with("a", async () => {
      events.push("a1 start");
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push("a1 end");
    });
    const second = locks.with("a", async () => void events.push("a2"));
    const other = locks.with("b", async () => void events.push("b"));
    await other;
    await tick();
    expect(events).toEqual(["a1 start", "b"]); // a2 waits for a1; b did not
    releaseFirst();
    await Promise.all([first, second]);
    expect(events).toEqual(["a1 start", "b", "a1 end", "a2"]);
  });

  it("lets the next call go on after one that failed, and returns each call's own result", async () => {
    const locks = new KeyLocks();
    const failed = locks.with("k", async () => {
      throw new Error("boom");
    });
    const next = locks.with("k", async () => 42);
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe(42);
  });
});

describe("UntilFailure", () => {
  it("makes the promise once for every caller, with the first caller's arguments", async () => {
    let made = 0;
    const memo = new UntilFailure(async (n: number) => {
      made++;
      return n * 2;
    });
    const results = await Promise.all([memo.get(1), memo.get(5), memo.get(9)]);
    expect(results).toEqual([2, 2, 2]);
    expect(made).toBe(1);
  });

  it("forgets a failure, so the next caller makes it again", async () => {
    let attempts = 0;
    const memo = new UntilFailure(async () => {
      if (++attempts === 1) throw new Error("not yet");
      return "ready";
    });
    await expect(memo.get()).rejects.toThrow("not yet");
    await expect(memo.get()).resolves.toBe("ready");
    await expect(memo.get()).resolves.toBe("ready");
    expect(attempts).toBe(2);
  });

  it("hands over what it made on forget, and makes a new one after", async () => {
    let made = 0;
    const memo = new UntilFailure(async () => ++made);
    expect(memo.forget()).toBeUndefined();
    await memo.get();
    await expect(memo.forget()).resolves.toBe(1);
    await expect(memo.get()).resolves.toBe(2);
  });
});

describe("backoffMs", () => {
  it("waits a random time up to base·2^attempt, never above the cap", () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      for (let i = 0; i < 50; i++) {
        const wait = backoffMs(attempt, 100, 20_000);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThanOrEqual(Math.min(20_000, 100 * 2 ** attempt));
      }
    }
  });
});

describe("pause", () => {
  it("ends at once when its signal aborts, and leaves no listener behind", async () => {
    const controller = new AbortController();
    const started = performance.now();
    const paused = pause(60_000, controller.signal);
    setImmediate(() => controller.abort());
    await paused;
    expect(performance.now() - started).toBeLessThan(5_000);
    const quiet = new AbortController();
    let added = 0;
    let removed = 0;
    const add = quiet.signal.addEventListener.bind(quiet.signal);
    const remove = quiet.signal.removeEventListener.bind(quiet.signal);
    quiet.signal.addEventListener = (...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    };
    quiet.signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    };
    await pause(1, quiet.signal);
    expect([added, removed]).toEqual([1, 1]);
  });
});
