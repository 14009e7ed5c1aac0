/**
 * One process's part of the deployment-wide Nyckel budget: renews its lease every
 * `renewMs` (one statement, lease.ts), runs allocate() on the live leases, and sets
 * its PermitGate (budget.ts) to its share. Callers never wait for the database.
 *
 * Safety across processes (docs/budget.md): a grant that goes DOWN applies at once;
 * one that goes UP applies only when it has been the answer for a whole window plus
 * two renewals (`riseDelayMs`), i.e. the effective share is the smallest share
 * computed over that time. Starts the others made under their old, larger share
 * have then left Nyckel's one-second window before this process uses the room.
 *
 * Database unreachable: falls back to a safe local share — the totals divided by
 * the last known number of live processes (or by `fallbackDivisor` before any
 * lease), logged once each way.
 */
import { randomUUID } from "node:crypto";
import { allocate, type Grant } from "./allocate";
import { BudgetExhaustedError, PermitGate, type AcquireOptions, type Release } from "./budget";
import { LeaseStore, type LeaseIdentity } from "./lease";
import { BUDGET_CLASSES, emptyBudgetSnapshot, type BudgetClass, type BudgetLeaseInfo, type BudgetSnapshot } from "./stats";
import type { NyckelLogger } from "../client";

export type BudgetLog = Pick<NyckelLogger, "info" | "warn">;

export interface CoordinatorOptions {
  connectionString: string;
  role: string;
  serves: boolean;
  /** Deployment totals. */
  rate: number;
  concurrency: number;
  servingReserve: number;
  renewMs?: number;
  leaseMs?: number;
  servingMaxWaitMs?: number;
  /** Share of the totals before the first lease and with no known process count. Default 1/4. */
  fallbackDivisor?: number;
  minFactor?: number;
  recoveryPerSecond?: number;
  processId?: string;
  log?: BudgetLog;
  /** Sliding window of the gate (tests shorten nothing here: Nyckel's is one second). */
  windowMs?: number;
}

const SILENT: BudgetLog = { info: () => undefined, warn: () => undefined };

export class BudgetCoordinator {
  readonly processId: string;
  readonly gate: PermitGate;
  readonly #o: Required<Omit<CoordinatorOptions, "processId" | "log" | "windowMs">> & { windowMs: number };
  readonly #log: BudgetLog;
  readonly #store: LeaseStore;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #mode: BudgetSnapshot["mode"] = "idle";
  #factor = 1;
  #backOffPending = false;
  #nyckel429 = 0;
  #lastLiveCount = 0;
  /** Shares computed recently (time, grant), for the delayed rise. */
  #history: Array<{ at: number; grant: Grant }> = [];
  #effective: Grant;
  #firstRenewal: Promise<void>;
  #joinedAt = 0;
  /** Whether serving was seen in the deployment at the last renewal (the serving reserve is in force). */
  #servingActive = false;
  /** Until when (performance.now()) the effective share may still rise to the last computed grant. */
  #risingUntil = Number.NEGATIVE_INFINITY;
  #resolveFirst!: () => void;

  constructor(options: CoordinatorOptions) {
    this.processId = options.processId ?? `${options.role}-${randomUUID()}`;
    this.#o = {
      connectionString: options.connectionString,
      role: options.role,
      serves: options.serves,
      rate: options.rate,
      concurrency: options.concurrency,
      servingReserve: options.servingReserve,
      renewMs: options.renewMs ?? 150,
      leaseMs: options.leaseMs ?? 1_000,
      servingMaxWaitMs: options.servingMaxWaitMs ?? 250,
      fallbackDivisor: options.fallbackDivisor ?? 4,
      minFactor: options.minFactor ?? 0.2,
      recoveryPerSecond: options.recoveryPerSecond ?? 0.05,
      windowMs: options.windowMs ?? 1_000,
    };
    this.#log = options.log ?? SILENT;
    const identity: LeaseIdentity = { processId: this.processId, role: options.role, serves: options.serves };
    this.#store = new LeaseStore(options.connectionString, identity, { timeoutMs: Math.max(500, this.#o.leaseMs) });
    this.#effective = this.#fallbackGrant(this.#o.fallbackDivisor);
    this.gate = new PermitGate(this.#effective, { windowMs: this.#o.windowMs });
    this.#firstRenewal = new Promise((resolve) => (this.#resolveFirst = resolve));
  }

  get riseDelayMs(): number {
    return this.#o.windowMs + 10 + 2 * this.#o.renewMs;
  }

  /** Starts renewing; resolves after the first renewal (or its failure). */
  start(): Promise<void> {
    if (!this.#timer && !this.#stopped) void this.#tick();
    return this.#firstRenewal;
  }

  /** A permit of `cls`. Serving gives up after servingMaxWaitMs (BudgetExhaustedError); shadow never waits. */
  async acquire(cls: BudgetClass, options: AcquireOptions = {}): Promise<Release> {
    if (this.#mode === "idle") await this.start();
    let maxWaitMs = options.maxWaitMs ?? (cls === "serving" ? this.#o.servingMaxWaitMs : undefined);
    if (cls === "serving" && options.maxWaitMs === undefined && maxWaitMs !== undefined) {
      // A process that just joined may have no share until its rise delay has passed (rule 1 and 3 of
      // docs/budget.md): serving waits for it instead of being refused, so a new instance's first
      // requests are slower, never 429.
      const joining = this.#joinedAt + this.riseDelayMs + this.#o.renewMs - performance.now();
      if (joining > maxWaitMs) maxWaitMs = joining;
      // No serving in the deployment at the last renewal: the serving reserve is not in force,
      // so batch work may hold the whole budget. This request's demand makes it active at the next
      // renewals, the others' shares shrink at once and this one's rises after the rise delay:
      // the request waits for that (about 1.5 s at most) instead of being refused for batch work.
      // The same holds while this process's share is still rising to what the last renewals computed
      // (a request that comes just after the renewal that saw serving return finds the old shares);
      // a process that already has its share refuses a serving overload after the short wait.
      const rising = this.#servingActive ? this.#risingUntil + this.#o.renewMs - performance.now() : this.riseDelayMs + this.#o.renewMs;
      if (rising > maxWaitMs) maxWaitMs = rising;
    }
    return this.gate.acquire(cls, { ...options, maxWaitMs });
  }

  tryAcquire(cls: BudgetClass): Release | null {
    return this.gate.tryAcquire(cls);
  }

  /** A permit now when this process has one free, else null (no refusal: then wait with `acquire`). Never awaits. */
  acquireNow(cls: BudgetClass): Release | null {
    return this.#mode === "idle" ? null : this.gate.acquireNow(cls);
  }

  /** Nyckel answered 429: halve this process's share now; the shared factor at the next renewal. */
  reportNyckel429(): void {
    this.#nyckel429++;
    if (this.#backOffPending) return;
    this.#backOffPending = true;
    const next = Math.max(this.#o.minFactor, this.#factor * 0.5);
    if (next < this.#factor) {
      this.#factor = next;
      this.#apply(this.#scale(this.#effective, 0.5), true);
    }
  }

  snapshot(): BudgetSnapshot {
    const empty = emptyBudgetSnapshot();
    return {
      ...empty,
      processId: this.#mode === "idle" ? null : this.processId,
      mode: this.#mode,
      classes: this.gate.stats(),
      nyckel429: this.#nyckel429,
      effectiveRate: Math.floor(this.#o.rate * this.#factor),
      grantedRate: this.#effective.rate,
      grantedConcurrency: this.#effective.concurrency,
    };
  }

  leases(): Promise<BudgetLeaseInfo[]> {
    return this.#store.list();
  }

  /**
   * Stops renewing. `release` (default) gives the lease back: the row goes once this
   * process's last starts have left Nyckel's window (at once when there are none), so the
   * others take its share then; without it the row stays until it expires (what a killed
   * process leaves).
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#resolveFirst();
    const usage = this.gate.usage();
    this.gate.close(new BudgetExhaustedError("batch", 0));
    if (options.release !== false) await this.#store.release({ ...usage, windowMs: this.#o.windowMs + 10 }).catch(() => undefined);
    await this.#store.close();
    this.#mode = "idle";
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    if (this.#stopped) return;
    const started = Date.now();
    try {
      await this.#renew();
    } catch (error) {
      this.#fallBack(error);
    }
    this.#resolveFirst();
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(10, this.#o.renewMs - (Date.now() - started)));
    this.#timer.unref?.();
  }

  async #renew(): Promise<void> {
    const stats = this.gate.stats();
    const classes = Object.fromEntries(BUDGET_CLASSES.map((c) => [c, { rate: stats[c].rate, inFlight: stats[c].inFlight }])) as Record<
      BudgetClass,
      { rate: number; inFlight: number }
    >;
    const backOff = this.#backOffPending;
    const joining = this.#history.length === 0;
    // What this process may have in Nyckel's window and in flight now: its share, or more while
    // starts made under a larger share are still in the window ("in use", not only "granted").
    const usage = this.gate.usage();
    const result = await this.#store.renew({
      demand: this.gate.demand(),
      grantedRate: Math.max(this.#mode === "idle" ? 0 : this.#effective.rate, usage.windowStarts),
      grantedConcurrency: Math.max(this.#mode === "idle" ? 0 : this.#effective.concurrency, usage.inFlight),
      classes,
      leaseMs: this.#o.leaseMs,
      backOff,
      minFactor: this.#o.minFactor,
      recoveryPerSecond: this.#o.recoveryPerSecond,
    }, { join: joining });
    if (this.#stopped) return;
    if (backOff) this.#backOffPending = false;
    const previous = this.#factor;
    this.#factor = result.factor;
    if (result.decreased) {
      this.#log.warn({ factor: result.factor }, `Nyckel answered 429: backing off to ${Math.floor(this.#o.rate * result.factor)}/s across all processes`);
    } else if (previous < 1 && result.factor >= 1) {
      this.#log.info({}, `Nyckel budget back to the full ${this.#o.rate}/s`);
    }
    if (joining) {
      this.#joinedAt = performance.now();
      // New, or back from the fallback: rise from the fallback share, never at once. A process
      // that finds itself alone may not be: another may be renewing its first lease in the same
      // instant (neither sees the other's row yet), and both taking the whole budget would
      // overrun Nyckel's window.
      this.#history.push({ at: this.#joinedAt, grant: this.#effective });
    }
    if (this.#mode === "fallback") this.#log.info({ processes: result.leases.length }, "Nyckel budget: database reachable again, back on leases");
    this.#mode = "leased";
    this.#lastLiveCount = result.leases.length;
    const allocation = allocate({
      rate: this.#o.rate * this.#factor,
      concurrency: this.#o.concurrency,
      servingReserve: this.#o.servingReserve,
      leases: result.leases,
    });
    this.#servingActive = allocation.servingActive;
    const grant = allocation.grants.get(this.processId) ?? this.#fallbackGrant(Math.max(1, this.#lastLiveCount));
    this.#apply(grant, false, this.#room(result.leases, performance.now() - this.#joinedAt < this.riseDelayMs));
  }

  /**
   * What the others leave free by what they published as in use (their share, or their starts
   * still in the window). While this process is new, another new process that has not yet
   * published what it uses may have taken everything it saw free before this row existed
   * (it joined alone): it counts as using the whole budget until it publishes.
   */
  #room(leases: Array<BudgetLeaseInfo & { startedAt: Date }>, isNew: boolean): Grant {
    let rate = Math.floor(this.#o.rate * this.#factor);
    let concurrency = this.#o.concurrency;
    for (const lease of leases) {
      if (lease.processId === this.processId) continue;
      const unknown = isNew && lease.grantedRate === 0 && lease.renewedAt.getTime() - lease.startedAt.getTime() < this.riseDelayMs;
      rate -= unknown ? rate : lease.grantedRate;
      concurrency -= unknown ? concurrency : lease.grantedConcurrency;
    }
    rate = Math.max(0, rate);
    concurrency = Math.max(0, concurrency);
    return { rate, concurrency, nonServingRate: rate, nonServingConcurrency: concurrency };
  }

  #fallBack(error: unknown): void {
    if (this.#stopped) return;
    const divisor = this.#lastLiveCount > 0 ? this.#lastLiveCount : this.#o.fallbackDivisor;
    if (this.#mode !== "fallback") {
      this.#log.warn(
        { err: error instanceof Error ? error.message : String(error), divisor },
        `Nyckel budget: cannot reach the database; using a safe local share (1/${divisor} of the budget)`,
      );
    }
    this.#mode = "fallback";
    this.#history = [];
    const grant = this.#fallbackGrant(divisor);
    this.#effective = grant;
    this.gate.configure(grant);
  }

  #fallbackGrant(divisor: number): Grant {
    const rate = Math.max(1, Math.floor((this.#o.rate * this.#factor) / divisor));
    const concurrency = Math.max(1, Math.floor(this.#o.concurrency / divisor));
    return {
      rate,
      concurrency,
      nonServingRate: this.#o.serves ? Math.max(1, Math.floor(rate * (1 - this.#o.servingReserve))) : rate,
      nonServingConcurrency: this.#o.serves ? Math.max(1, Math.floor(concurrency * (1 - this.#o.servingReserve))) : concurrency,
    };
  }

  #scale(grant: Grant, by: number): Grant {
    return {
      rate: Math.max(1, Math.floor(grant.rate * by)),
      concurrency: grant.concurrency,
      nonServingRate: Math.floor(grant.nonServingRate * by),
      nonServingConcurrency: grant.nonServingConcurrency,
    };
  }

  /**
   * Records `grant` and applies the smallest share of the last riseDelayMs (decreases at once),
   * never more than `room`, what the others leave free.
   */
  #apply(grant: Grant, immediate: boolean, room?: Grant): void {
    const now = performance.now();
    this.#history.push({ at: now, grant });
    // The shares in force during the last riseDelayMs: those computed in it, and the one
    // computed before it (still in force at its start, however late the renewals came).
    const cutoff = now - this.riseDelayMs;
    const firstInside = this.#history.findIndex((h) => h.at > cutoff);
    this.#history = this.#history.slice(Math.max(0, firstInside - 1));
    const min = (key: keyof Grant) => Math.min(...this.#history.map((h) => h.grant[key]), immediate ? grant[key] : Infinity, room ? room[key] : Infinity);
    const effective: Grant = { rate: min("rate"), concurrency: min("concurrency"), nonServingRate: min("nonServingRate"), nonServingConcurrency: min("nonServingConcurrency") };
    // Below the grant (held down by the smaller shares of the last riseDelayMs, not by the room the
    // others leave): it reaches the grant when those age out.
    const held = (key: keyof Grant) => effective[key] < grant[key] && (!room || effective[key] < room[key]);
    if (held("rate") || held("concurrency")) this.#risingUntil = now + this.riseDelayMs;
    else this.#risingUntil = Number.NEGATIVE_INFINITY;
    this.#effective = effective;
    this.gate.configure(effective);
  }
}
