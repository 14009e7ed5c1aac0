import { afterEach, describe, expect, it } from "vitest";
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

  it("counts a slow request's window slot from when it finished, not only from when it started", async () => {
    // perSecond 1 in a 200 ms window: B waits for A's slot; C waits for B's slot.
    const limiter = new RateLimiter({ perSecond: 1, concurrency: 10, windowMs: 200, safetyMarginMs: 0 });
    const a = await limiter.acquire();
    a(); // a fast round trip: the "fastest recent round trip" is ~0 ms
    const b = await limiter.acquire();
    const bStart = performance.now();
    await sleep(100); // B is slow: the server may have seen it arrive up to ~100 ms late
    b();
    const c = await limiter.acquire();
    const cStart = performance.now();
    c();
    // Start-only bookkeeping would admit C 200 ms after B started; the limiter waits
    // until 200 ms after B finished.
    expect(cStart - bStart).toBeGreaterThanOrEqual(290);
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
