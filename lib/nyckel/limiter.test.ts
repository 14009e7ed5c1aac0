import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RateLimiter, getSharedLimiter, resetSharedLimiters } from "./limiter";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Largest number of timestamps inside any half-open interval of `windowMs`. */
function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[i] as number) - (sorted[j] as number) >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe("RateLimiter", () => {
  afterEach(() => resetSharedLimiters());

  it("never starts more than perSecond requests in any sliding window, and uses the budget", async () => {
    const limiter = new RateLimiter({ perSecond: 5, concurrency: 100, windowMs: 200, safetyMarginMs: 0 });
    const starts: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 30 }, () =>
        limiter.run(async () => {
          starts.push(performance.now());
        }),
      ),
    );
    const elapsed = performance.now() - t0;
    expect(starts).toHaveLength(30);
    expect(maxInAnyWindow(starts, 200)).toBe(5);
    // 30 starts at 5 per 200 ms: the 6th batch cannot start before 5 × 200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    // …and the limiter does not waste much of the budget either.
    expect(elapsed).toBeLessThan(1600);
  });

  it("keeps the concurrency limit and reaches it", async () => {
    const limiter = new RateLimiter({ perSecond: 1000, concurrency: 3 });
    let active = 0;
    let maxActive = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.run(async () => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(20);
          active--;
        }),
      ),
    );
    expect(maxActive).toBe(3);
    expect(limiter.inFlight).toBe(0);
  });

  it("serves waiters first in, first out", async () => {
    const limiter = new RateLimiter({ perSecond: 1000, concurrency: 1 });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        limiter.run(async () => {
          order.push(i);
          await sleep(1);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("drops an aborted waiter from the queue and rejects it with the signal's reason", async () => {
    const limiter = new RateLimiter({ perSecond: 1000, concurrency: 1 });
    const first = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const third = limiter.acquire();
    expect(limiter.waiting).toBe(2);
    controller.abort(new Error("caller gave up"));
    await expect(aborted).rejects.toThrow("caller gave up");
    expect(limiter.waiting).toBe(1);
    first();
    const release = await third;
    expect(limiter.inFlight).toBe(1);
    release();
    release(); // extra calls are ignored
    expect(limiter.inFlight).toBe(0);
  });

  describe("slow requests (fake clock)", () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "performance"] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Acquires a slot, letting fake time run until the limiter admits us. */
    async function admitted(limiter: RateLimiter): Promise<{ release: () => void; at: number }> {
      let release: (() => void) | undefined;
      void limiter.acquire().then((r) => {
        release = r;
      });
      for (let i = 0; i < 100 && !release; i++) {
        await Promise.resolve();
        if (!release) await vi.advanceTimersToNextTimerAsync();
      }
      if (!release) throw new Error("never admitted");
      return { release, at: performance.now() };
    }

    async function roundTrip(limiter: RateLimiter, ms: number): Promise<number> {
      const slot = await admitted(limiter);
      await vi.advanceTimersByTimeAsync(ms);
      slot.release();
      return slot.at;
    }

    it("on a cold start, counts a finished request from its finish", async () => {
      const limiter = new RateLimiter({ perSecond: 1, concurrency: 10, safetyMarginMs: 0 });
      await roundTrip(limiter, 5);
      const bStart = await roundTrip(limiter, 100); // B may have arrived up to ~100 ms late
      const c = await admitted(limiter);
      c.release();
      // Start-only bookkeeping would admit C 1000 ms after B started.
      expect(c.at - bStart).toBeGreaterThanOrEqual(1100);
      expect(c.at - bStart).toBeLessThanOrEqual(1103);
    });

    it("once warm, counts a slow request from its finish minus the fastest round trip", async () => {
      const limiter = new RateLimiter({ perSecond: 1, concurrency: 1, safetyMarginMs: 0 });
      for (let i = 0; i < 10; i++) await roundTrip(limiter, 30); // 10 round trips of 30 ms: trusted
      const bStart = await roundTrip(limiter, 100);
      const c = await admitted(limiter);
      c.release();
      // B counts from (finish − 30 ms) = start + 70 ms: between start-only (1000 ms)
      // and finish-only (1100 ms) bookkeeping.
      expect(c.at - bStart).toBeGreaterThanOrEqual(1070);
      expect(c.at - bStart).toBeLessThanOrEqual(1073);
    });

    it("keeps a request in flight inside the window however long it takes", async () => {
      const limiter = new RateLimiter({ perSecond: 1, concurrency: 10, safetyMarginMs: 0 });
      const slow = await admitted(limiter);
      await vi.advanceTimersByTimeAsync(5000); // still in flight after 5 s: it may not have arrived yet
      let next: (() => void) | undefined;
      void limiter.acquire().then((r) => {
        next = r;
      });
      await vi.advanceTimersByTimeAsync(5000);
      expect(next).toBeUndefined();
      slow.release();
      await vi.advanceTimersByTimeAsync(1001);
      expect(next).toBeDefined();
    });
  });

  it("rejects nonsense limits", () => {
    expect(() => new RateLimiter({ perSecond: 0, concurrency: 1 })).toThrow(RangeError);
    expect(() => new RateLimiter({ perSecond: 1, concurrency: Number.NaN })).toThrow(RangeError);
    expect(() => new RateLimiter({ safetyMarginMs: -1 })).toThrow(RangeError);
  });

  it("shares one limiter per base URL + client id, and reconfigures it", () => {
    const a = getSharedLimiter("https://www.nyckel.com/", "client-a", { perSecond: 25, concurrency: 25 });
    const again = getSharedLimiter("https://www.nyckel.com", "client-a");
    const other = getSharedLimiter("https://www.nyckel.com", "client-b");
    expect(again).toBe(a);
    expect(other).not.toBe(a);
    expect(a.limits).toMatchObject({ perSecond: 25, concurrency: 25, windowMs: 1000 });
    getSharedLimiter("https://www.nyckel.com", "client-a", { perSecond: 10 });
    expect(a.limits.perSecond).toBe(10);
  });
});
