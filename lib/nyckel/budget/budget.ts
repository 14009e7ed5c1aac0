/**
 * The process-local permit gate of the Nyckel budget: this process's granted share
 * (starts per sliding second and requests in flight), handed out by priority —
 * serving before interactive before batch; shadow only tries and never waits.
 * While serving is active elsewhere or here, interactive + batch + shadow keep to
 * their own (smaller) cap, so the rest stays free for serving.
 *
 * The window is as strict as Nyckel's (see limiter.ts for the reasoning): a start
 * counts until it is surely out of the server's one-second window — in flight it
 * counts as "now"; once finished, from max(start, finish − the fastest recent
 * round trip), or from its finish until enough round trips were seen — plus a
 * small safety margin. Starts are handed out one per macrotask, so each start is
 * stamped right before its request leaves.
 */
import { BUDGET_CLASSES, type BudgetClass, type BudgetClassStats } from "./stats";
import type { ClassDemand } from "./allocate";

export type Release = () => void;

export interface GateLimits {
  rate: number;
  concurrency: number;
  nonServingRate: number;
  nonServingConcurrency: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Give up after this long (serving: NYCKEL_SERVING_MAX_WAIT_MS). Default: wait as long as it takes. */
  maxWaitMs?: number;
}

/** No permit within the wait (or, for shadow, none free right now). */
export class BudgetExhaustedError extends Error {
  constructor(
    readonly budgetClass: BudgetClass,
    readonly waitedMs: number,
  ) {
    super(`No Nyckel budget for ${budgetClass} within ${Math.round(waitedMs)} ms`);
    this.name = "BudgetExhaustedError";
  }
}

/**
 * Whether `error` is a BudgetExhaustedError, by its name as well as its class: Next bundles
 * this module more than once (route handlers, instrumentation with the invoke proxy's fast
 * path and the job workers), and the process's one budget throws the class of whichever
 * bundle started it.
 */
export function isBudgetExhausted(error: unknown): error is BudgetExhaustedError {
  return error instanceof BudgetExhaustedError || (error instanceof Error && error.name === "BudgetExhaustedError");
}

const PRIORITY: Record<BudgetClass, number> = { serving: 0, interactive: 1, batch: 2, shadow: 3 };
const LATENCY_SAMPLES = 64;
/** Demand remembers the busiest second of this many. */
const PEAK_SECONDS = 5;
/** Finished starts older than the window are dropped at least this often. */
const PRUNE_EVERY_MS = 100;

interface StartRecord {
  cls: BudgetClass;
  start: number;
  finish?: number;
  fastestThen?: number;
}

interface Waiter {
  cls: BudgetClass;
  since: number;
  resolve: (release: Release) => void;
  reject: (reason: unknown) => void;
  cleanup: () => void;
}

export class PermitGate {
  #limits: GateLimits;
  readonly #windowMs: number;
  readonly #marginMs: number;
  readonly #now: () => number;
  #records: StartRecord[] = [];
  #latencies: number[] = [];
  #samples = 0;
  readonly #inFlight: Record<BudgetClass, number> = { serving: 0, interactive: 0, batch: 0, shadow: 0 };
  readonly #queue: Waiter[] = [];
  readonly #stats: Record<BudgetClass, BudgetClassStats>;
  /** Permit and refusal times of the last second, per class (for `rate` and demand). */
  readonly #recent: Record<BudgetClass, number[]> = { serving: [], interactive: [], batch: [], shadow: [] };
  /** The largest one-second count seen in each of the last PEAK_SECONDS seconds, per class. */
  readonly #peaks: Record<BudgetClass, Map<number, number>> = { serving: new Map(), interactive: new Map(), batch: new Map(), shadow: new Map() };
  #prunedAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerDueAt = 0;
  #immediate = false;

  constructor(limits: GateLimits, options: { windowMs?: number; safetyMarginMs?: number; now?: () => number } = {}) {
    this.#limits = { ...limits };
    this.#windowMs = options.windowMs ?? 1000;
    this.#marginMs = options.safetyMarginMs ?? 10;
    this.#now = options.now ?? (() => performance.now());
    this.#stats = Object.fromEntries(
      BUDGET_CLASSES.map((c) => [c, { permits: 0, waits: 0, waitSecondsSum: 0, refused: 0, inFlight: 0, rate: 0 }]),
    ) as Record<BudgetClass, BudgetClassStats>;
  }

  get limits(): GateLimits {
    return { ...this.#limits };
  }

  /** New limits; waiters are re-evaluated at once. */
  configure(limits: GateLimits): void {
    this.#limits = { ...limits };
    this.#pump();
  }

  acquire(cls: BudgetClass, options: AcquireOptions = {}): Promise<Release> {
    const { signal, maxWaitMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (cls === "shadow") {
      const release = this.tryAcquire(cls);
      return release ? Promise.resolve(release) : Promise.reject(new BudgetExhaustedError(cls, 0));
    }
    const since = this.#now();
    // Free now: granted at once, without a waiter, timer or abort listener (what the queue would do too).
    if (!this.#waitingAtOrAbove(cls) && this.#blockedFor(cls, since) === null) return Promise.resolve(this.#grant(cls, since, since));
    return new Promise<Release>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const waiter: Waiter = {
        cls,
        since,
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      const leave = (reason: unknown) => {
        const index = this.#queue.indexOf(waiter);
        if (index < 0) return;
        this.#queue.splice(index, 1);
        waiter.cleanup();
        reject(reason);
        this.#pump();
      };
      const onAbort = () => leave(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (maxWaitMs !== undefined) {
        timer = setTimeout(() => {
          if (!this.#queue.includes(waiter)) return;
          this.#refuse(cls);
          leave(new BudgetExhaustedError(cls, this.#now() - since));
        }, Math.max(0, maxWaitMs));
      }
      this.#enqueue(waiter);
      this.#pump();
    });
  }

  /** A permit now, or null (counted as refused). Never waits. */
  tryAcquire(cls: BudgetClass): Release | null {
    const release = this.acquireNow(cls);
    if (!release) this.#refuse(cls);
    return release;
  }

  /**
   * A permit now when one is free and no waiter of this class or a higher one is
   * ahead; else null, which is no refusal: the caller goes on to wait with
   * `acquire`. The proxy's hot path takes its permit this way, synchronously.
   */
  acquireNow(cls: BudgetClass): Release | null {
    const now = this.#now();
    if (this.#waitingAtOrAbove(cls) || this.#blockedFor(cls, now) !== null) return null;
    return this.#grant(cls, now, now);
  }

  #waitingAtOrAbove(cls: BudgetClass): boolean {
    return this.#queue.length > 0 && this.#queue.some((w) => PRIORITY[w.cls] <= PRIORITY[cls]);
  }

  /** Recent demand per class, for the lease row. */
  demand(): Record<BudgetClass, ClassDemand> {
    const now = this.#now();
    const out = {} as Record<BudgetClass, ClassDemand>;
    for (const cls of BUDGET_CLASSES) {
      const rate = this.#recentCount(cls, now);
      const peaks = this.#peaks[cls];
      const second = Math.floor(now / 1000);
      peaks.set(second, Math.max(peaks.get(second) ?? 0, rate));
      for (const s of peaks.keys()) if (s <= second - PEAK_SECONDS) peaks.delete(s);
      out[cls] = { rate, peak: Math.max(...peaks.values()), inFlight: this.#inFlight[cls], waiting: this.#queue.filter((w) => w.cls === cls).length };
    }
    return out;
  }

  /** Starts that may still be in Nyckel's window, and permits held now (every class). */
  usage(): { windowStarts: number; inFlight: number } {
    const now = this.#now();
    const horizon = this.#windowMs + this.#marginMs;
    const fastest = this.#fastest();
    let windowStarts = 0;
    for (const r of this.#records) {
      const t = r.finish === undefined ? now : Math.max(r.start, r.finish - Math.min(fastest, r.fastestThen ?? 0));
      if (now - t <= horizon) windowStarts++;
    }
    return { windowStarts, inFlight: BUDGET_CLASSES.reduce((a, c) => a + this.#inFlight[c], 0) };
  }

  stats(): Record<BudgetClass, BudgetClassStats> {
    const now = this.#now();
    const out = {} as Record<BudgetClass, BudgetClassStats>;
    for (const cls of BUDGET_CLASSES) {
      out[cls] = { ...this.#stats[cls], inFlight: this.#inFlight[cls], rate: this.#recentCount(cls, now, true) };
    }
    return out;
  }

  /** Rejects every waiter (shutdown). */
  close(reason: unknown): void {
    for (const waiter of this.#queue.splice(0)) {
      waiter.cleanup();
      waiter.reject(reason);
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #enqueue(waiter: Waiter): void {
    const at = this.#queue.findIndex((w) => PRIORITY[w.cls] > PRIORITY[waiter.cls]);
    if (at < 0) this.#queue.push(waiter);
    else this.#queue.splice(at, 0, waiter);
  }

  #refuse(cls: BudgetClass): void {
    this.#stats[cls].refused++;
    this.#recent[cls].push(-this.#now()); // negative: a refusal (demand, not a permit)
  }

  #recentCount(cls: BudgetClass, now: number, permitsOnly = false): number {
    const list = this.#recent[cls];
    let drop = 0;
    while (drop < list.length && now - Math.abs(list[drop]!) > 1000) drop++;
    if (drop > 0) list.splice(0, drop);
    return permitsOnly ? list.filter((t) => t >= 0).length : list.length;
  }

  #fastest(): number {
    if (this.#samples < Math.max(10, 2 * this.#limits.concurrency)) return 0;
    return Math.min(...this.#latencies);
  }

  /** Null when `cls` may start now; else how long until a start slot frees (Infinity: wait for a release). */
  #blockedFor(cls: BudgetClass, now: number): number | null {
    const serving = cls === "serving";
    const limits = this.#limits;
    const flying = BUDGET_CLASSES.reduce((a, c) => a + this.#inFlight[c], 0);
    const nonServingFlying = flying - this.#inFlight.serving;
    if (flying >= limits.concurrency || (!serving && nonServingFlying >= limits.nonServingConcurrency)) return Infinity;
    const horizon = this.#windowMs + this.#marginMs;
    // Records past the window count for nothing below; dropping them (a new array) is done at most
    // every PRUNE_EVERY_MS unless the count matters, so a busy gate does not copy them per permit.
    if (now - this.#prunedAt >= PRUNE_EVERY_MS || this.#records.length >= limits.rate) {
      this.#records = this.#records.filter((r) => r.finish === undefined || now - r.finish <= horizon);
      this.#prunedAt = now;
    }
    // Each record is at most one start in the window: fewer than the limits cannot reach them.
    const kept = this.#records.length;
    if (kept < limits.rate && (serving || kept < limits.nonServingRate)) return null;
    const fastest = this.#fastest();
    const all: number[] = [];
    const nonServing: number[] = [];
    for (const r of this.#records) {
      const t = r.finish === undefined ? now : Math.max(r.start, r.finish - Math.min(fastest, r.fastestThen ?? 0));
      if (now - t > horizon) continue;
      all.push(t);
      if (r.cls !== "serving") nonServing.push(t);
    }
    const wait = (times: number[], limit: number): number | null => {
      if (times.length < limit) return null;
      if (limit <= 0) return Infinity;
      times.sort((a, b) => b - a);
      return times[limit - 1]! + horizon - now + 1;
    };
    const a = wait(all, limits.rate);
    const b = serving ? null : wait(nonServing, limits.nonServingRate);
    if (a === null && b === null) return null;
    return Math.max(a ?? 0, b ?? 0);
  }

  #grant(cls: BudgetClass, now: number, since: number): Release {
    const record: StartRecord = { cls, start: now };
    this.#records.push(record);
    this.#inFlight[cls]++;
    const stats = this.#stats[cls];
    stats.permits++;
    if (now - since > 0.5) {
      stats.waits++;
      stats.waitSecondsSum += (now - since) / 1000;
    }
    this.#recent[cls].push(now);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight[cls]--;
      record.finish = this.#now();
      this.#latencies.push(record.finish - record.start);
      if (this.#latencies.length > LATENCY_SAMPLES) this.#latencies.shift();
      this.#samples++;
      record.fastestThen = Math.min(...this.#latencies);
      this.#pump();
    };
  }

  #pump(): void {
    if (this.#queue.length === 0) return;
    const now = this.#now();
    // Highest priority first; a lower class may pass a blocked higher one only when the
    // higher one is blocked by a cap of its own that the lower one does not have (never here:
    // serving's limits are a superset), so the first waiter that cannot start stops the scan.
    const waiter = this.#queue[0]!;
    const blocked = this.#blockedFor(waiter.cls, now);
    if (blocked !== null) {
      if (blocked !== Infinity) this.#schedule(blocked);
      // A serving waiter may be blocked only by the total; a non-serving head blocks the rest anyway.
      return;
    }
    this.#queue.shift();
    waiter.cleanup();
    waiter.resolve(this.#grant(waiter.cls, now, waiter.since));
    if (this.#queue.length > 0 && !this.#immediate) {
      this.#immediate = true;
      setImmediate(() => {
        this.#immediate = false;
        this.#pump();
      });
    }
  }

  #schedule(delayMs: number): void {
    const wait = Math.max(1, Math.ceil(delayMs));
    const dueAt = this.#now() + wait;
    if (this.#timer !== null) {
      if (this.#timerDueAt <= dueAt) return;
      clearTimeout(this.#timer);
    }
    this.#timerDueAt = dueAt;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, wait);
  }
}
