/**
 * A rate + concurrency limiter that keeps a caller under a strict sliding window.
 *
 * Nyckel documents "25 requests per second and 25 concurrent requests" but not its
 * window algorithm, so the limiter assumes the strictest reading: in ANY interval of
 * `windowMs` (1 s) the server may see at most `perSecond` requests arrive.
 *
 * Sliding log: every admitted request gets a record, stamped with its start time. A
 * new request is admitted only when fewer than `perSecond` records are younger than
 * `windowMs + safetyMarginMs`, i.e. it waits until the oldest record in the window is
 * more than `windowMs + safetyMarginMs` old.
 *
 * What the server counts is the ARRIVAL, which can be later than the start: a request
 * that first opens a new (TLS) connection, or waits in a busy event loop, arrives tens
 * or hundreds of ms after a request on a warm connection. So:
 *   - a request still in flight counts as "in the window" (it may not have arrived yet);
 *   - a finished request counts from max(start, finish − f), f = the fastest of the
 *     last 64 round trips (the smaller of its value now and when the request
 *     finished): the server cannot have seen it arrive later than that (up to the
 *     one-way jitter the safety margin covers). Until 2 × concurrency round trips were
 *     seen (a cold start, where even the fastest may have waited for a connection), a
 *     finished request counts from its finish.
 * For warm, evenly fast requests the record stays at (about) the start.
 *
 * Starts are handed out one per macrotask (setImmediate), so each start stamp is taken
 * right before that request's fetch runs, not 25 stamps at once for requests that
 * then leave one after another.
 *
 * Concurrency: at most `concurrency` admitted requests hold a slot at a time; a slot
 * is held until the caller calls the release function it got from `acquire()`.
 *
 * Waiters are served first in, first out. A waiter whose AbortSignal fires leaves
 * the queue and its promise rejects with the signal's reason.
 */

export interface RateLimitOptions {
  /** Maximum request starts in any sliding window of `windowMs`. Default 25. */
  perSecond: number;
  /** Maximum requests in flight. Default 25. */
  concurrency: number;
  /** Window length. Default 1000 ms (the "per second"). Tests shorten it. */
  windowMs?: number;
  /** Extra wait on top of the window before a start slot is reused. Default 10 ms. */
  safetyMarginMs?: number;
}

export const DEFAULT_RATE_LIMIT: Readonly<Required<RateLimitOptions>> = Object.freeze({
  perSecond: 25,
  concurrency: 25,
  windowMs: 1000,
  safetyMarginMs: 10,
});

export type Release = () => void;

interface Waiter {
  resolve: (release: Release) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

function positiveInt(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 1) {
    throw new RangeError(`${name} must be a number >= 1 (got ${value})`);
  }
  return Math.floor(value);
}

/** Round trips remembered for "the fastest recent round trip". */
const LATENCY_SAMPLES = 64;

interface WindowRecord {
  start: number;
  finish?: number;
  /** Fastest of the recent round trips when this request finished. */
  fastestThen?: number;
}

export class RateLimiter {
  private perSecond: number;
  private concurrency: number;
  private windowMs: number;
  private safetyMarginMs: number;
  /** One record per admitted request that may still be in the window. */
  private records: WindowRecord[] = [];
  /** The last round trips (admission → release), newest last. */
  private latencies: number[] = [];
  private samples = 0;
  private active = 0;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDueAt = 0;
  private immediatePending = false;
  private readonly now: () => number;

  constructor(options: Partial<RateLimitOptions> = {}, now: () => number = () => performance.now()) {
    this.now = now;
    this.perSecond = DEFAULT_RATE_LIMIT.perSecond;
    this.concurrency = DEFAULT_RATE_LIMIT.concurrency;
    this.windowMs = DEFAULT_RATE_LIMIT.windowMs;
    this.safetyMarginMs = DEFAULT_RATE_LIMIT.safetyMarginMs;
    this.configure(options);
  }

  /** Changes the limits; waiters are re-evaluated at once. */
  configure(options: Partial<RateLimitOptions>): void {
    if (options.perSecond !== undefined) this.perSecond = positiveInt(options.perSecond, "perSecond");
    if (options.concurrency !== undefined) this.concurrency = positiveInt(options.concurrency, "concurrency");
    if (options.windowMs !== undefined) this.windowMs = positiveInt(options.windowMs, "windowMs");
    if (options.safetyMarginMs !== undefined) {
      if (!Number.isFinite(options.safetyMarginMs) || options.safetyMarginMs < 0) {
        throw new RangeError(`safetyMarginMs must be >= 0 (got ${options.safetyMarginMs})`);
      }
      this.safetyMarginMs = options.safetyMarginMs;
    }
    this.pump();
  }

  get limits(): Required<RateLimitOptions> {
    return {
      perSecond: this.perSecond,
      concurrency: this.concurrency,
      windowMs: this.windowMs,
      safetyMarginMs: this.safetyMarginMs,
    };
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits for a start slot and a concurrency slot. Resolves with a release function
   * that must be called exactly once when the request is over (extra calls are ignored).
   */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Runs `task` inside a slot. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  private horizon(): number {
    return this.windowMs + this.safetyMarginMs;
  }

  /**
   * How much of a round trip surely happened after the server saw the request: the
   * fastest recent round trip, or 0 until enough round trips were seen (on a cold start
   * even the fastest one may have waited for a new connection or behind other requests).
   */
  private trustedFastest(): number {
    if (this.samples < Math.max(10, 2 * this.concurrency)) return 0;
    return Math.min(...this.latencies);
  }

  /**
   * The latest time the server may have seen this request arrive. The smaller of the
   * fastest round trip now and when the request finished is used, so that neither a
   * cold start nor a later slowdown makes an old request look earlier than it was.
   */
  private effective(record: WindowRecord, now: number, fastest: number): number {
    if (record.finish === undefined) return now; // in flight: may not have arrived yet
    return Math.max(record.start, record.finish - Math.min(fastest, record.fastestThen ?? 0));
  }

  private pump(): void {
    if (this.queue.length === 0) return;
    if (this.active >= this.concurrency) return; // a release() will pump again
    const now = this.now();
    const horizon = this.horizon();
    // A finished record is certainly out of the window once its finish is.
    this.records = this.records.filter((r) => r.finish === undefined || now - r.finish <= horizon);
    const fastest = this.trustedFastest();
    const inWindow = this.records.map((r) => this.effective(r, now, fastest)).filter((t) => now - t <= horizon);
    if (inWindow.length >= this.perSecond) {
      // Wait until all but perSecond − 1 records are older than the horizon
      // (a release() re-evaluates earlier if an in-flight request is the blocker).
      inWindow.sort((a, b) => b - a);
      const blocking = inWindow[this.perSecond - 1] as number;
      this.schedule(blocking + horizon - now + 1);
      return;
    }
    const waiter = this.queue.shift() as Waiter;
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
    const record: WindowRecord = { start: now };
    this.records.push(record);
    this.active++;
    let released = false;
    waiter.resolve(() => {
      if (released) return;
      released = true;
      this.active--;
      record.finish = this.now();
      this.latencies.push(record.finish - record.start);
      if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
      this.samples++;
      record.fastestThen = Math.min(...this.latencies);
      this.pump();
    });
    if (this.queue.length > 0 && !this.immediatePending) {
      this.immediatePending = true;
      setImmediate(() => {
        this.immediatePending = false;
        this.pump();
      });
    }
  }

  private schedule(delayMs: number): void {
    const wait = Math.max(1, Math.ceil(delayMs));
    const dueAt = this.now() + wait;
    if (this.timer !== null) {
      if (this.timerDueAt <= dueAt) return;
      clearTimeout(this.timer);
    }
    this.timerDueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, wait);
  }
}

// Kept on globalThis so that every copy of this module in the process (Next.js bundles
// server code more than once; dev mode reloads modules) shares the same limiters.
const REGISTRY_KEY = Symbol.for("modelpin.nyckel.limiters");
const globalRegistry = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Map<string, RateLimiter> };
const registry: Map<string, RateLimiter> = (globalRegistry[REGISTRY_KEY] ??= new Map<string, RateLimiter>());

function registryKey(baseUrl: string, clientId: string): string {
  return `${baseUrl.replace(/\/+$/, "").toLowerCase()}|${clientId}`;
}

/**
 * The process-wide limiter for one Nyckel account (base URL + client id). The first
 * call creates it; later calls with different limits reconfigure the shared instance
 * (the most recent configuration wins), so two clients for the same account can never
 * add up to twice the limit.
 */
export function getSharedLimiter(
  baseUrl: string,
  clientId: string,
  options: Partial<RateLimitOptions> = {},
): RateLimiter {
  const key = registryKey(baseUrl, clientId);
  const existing = registry.get(key);
  if (existing) {
    const current = existing.limits;
    const changed = (Object.keys(options) as Array<keyof RateLimitOptions>).some(
      (name) => options[name] !== undefined && options[name] !== current[name],
    );
    if (changed) existing.configure(options);
    return existing;
  }
  const limiter = new RateLimiter(options);
  registry.set(key, limiter);
  return limiter;
}

/** For tests: forget all shared limiters. */
export function resetSharedLimiters(): void {
  registry.clear();
}
