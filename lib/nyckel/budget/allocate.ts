/**
 * How the deployment's Nyckel budget is split between the processes that hold a
 * lease (see docs/budget.md). A pure function: every process runs it on the same
 * lease rows after each renewal and so computes the same answer, with no
 * coordinator.
 *
 * Rules, applied to the rate and to concurrency alike (in whole units):
 * 1. Every live process that may serve (role all, web, serve) keeps a floor of 1
 *    (when the total has room for it), so a serving request can start at once
 *    even while batch work holds everything else.
 * 2. While serving was seen anywhere in the last second, the other classes
 *    (interactive, batch, shadow) hold at most ⌊(1 − reserve) × total⌋ together,
 *    and less when serving asks for more (its busiest recent second): serving comes
 *    first; with no serving anywhere, they may take everything but the floors.
 * 3. Within that cap, interactive demand is met before batch demand; what is left
 *    goes to batch (and shadow), in proportion to demand.
 * 4. The rest (the serving reserve, plus whatever the others did not ask for)
 *    goes to the processes with serving demand, then evenly to the processes
 *    that may serve.
 * The grants always add up to exactly the total (never more).
 */
import type { BudgetClass } from "./stats";

/** One class's recent demand in one process: starts in the last second, permits held now, callers waiting now. */
export interface ClassDemand {
  rate: number;
  inFlight: number;
  waiting: number;
  /** The busiest second of the last few (starts and refusals): a steadier measure than `rate`. */
  peak?: number;
}

export interface LeaseDemand {
  processId: string;
  /** The process may serve proxy traffic (role all, web or serve). */
  serves: boolean;
  demand: Record<BudgetClass, ClassDemand>;
}

export interface AllocationInput {
  /** Deployment-wide starts per second (NYCKEL_RATE_LIMIT_RPS × the back-off factor). */
  rate: number;
  /** Deployment-wide requests in flight (NYCKEL_MAX_CONCURRENCY). */
  concurrency: number;
  /** Share of rate and concurrency kept for serving while it is active (0–1). */
  servingReserve: number;
  leases: LeaseDemand[];
}

export interface Grant {
  /** Starts per second this process may make (every class). */
  rate: number;
  /** Requests in flight this process may hold (every class). */
  concurrency: number;
  /** What interactive, batch and shadow together may use of it. */
  nonServingRate: number;
  nonServingConcurrency: number;
}

export interface Allocation {
  servingActive: boolean;
  grants: Map<string, Grant>;
}

/** Splits `total` whole units in proportion to `weights` (largest remainder); evenly when every weight is 0. */
export function apportion(total: number, weights: number[]): number[] {
  const n = weights.length;
  if (n === 0 || total <= 0) return weights.map(() => 0);
  const sum = weights.reduce((a, b) => a + Math.max(0, b), 0);
  const w = sum > 0 ? weights.map((x) => Math.max(0, x)) : weights.map(() => 1);
  const wsum = sum > 0 ? sum : n;
  const exact = w.map((x) => (total * x) / wsum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) out[order[k]!.i]!++;
  return out;
}

/** Max-min fair split of `total` whole units up to each demand; returns the grants (Σ ≤ total). */
export function waterfill(total: number, demands: number[]): number[] {
  const out = demands.map(() => 0);
  let left = Math.max(0, Math.floor(total));
  let open = demands.map((d, i) => ({ i, d: Math.max(0, Math.ceil(d)) })).filter((x) => x.d > 0);
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const x of open) {
      if (left === 0) break;
      const give = Math.min(share, x.d - out[x.i]!, left);
      out[x.i]! += give;
      left -= give;
    }
    open = open.filter((x) => out[x.i]! < x.d);
  }
  return out;
}

type Resource = "rate" | "concurrency";

function demandOf(d: ClassDemand, resource: Resource): number {
  return Math.max(0, resource === "rate" ? Math.max(d.rate, d.peak ?? 0) + d.waiting : d.inFlight + d.waiting);
}

/**
 * Shadow never waits: a request refused for want of a place in flight shows neither in flight
 * nor waiting, so its in-flight demand is taken as its rate (starts and refusals in the last
 * second: mirrors of a second's traffic may all be in flight at once). Without this, shadow
 * would get no concurrency share once refused, and never a permit. Serving's demand is met
 * before the non-serving classes', so this takes nothing from serving.
 */
function shadowDemandOf(d: ClassDemand, resource: Resource): number {
  const base = demandOf(d, resource);
  return resource === "concurrency" ? Math.max(base, Math.ceil(d.rate)) : base;
}

function servingSeen(lease: LeaseDemand): boolean {
  const s = lease.demand.serving;
  return s.rate > 0 || s.inFlight > 0 || s.waiting > 0;
}

/**
 * Serving's rate is granted one more than its last second, or its busiest recent second when
 * that is more (when there is room): a start holds its place in the gate's window for the
 * window plus its round trip, so a steady N per second needs N + 1 places or its queue grows
 * without end.
 */
const SERVING_RATE_HEADROOM = 1;

interface Split {
  total: number[];
  nonServing: number[];
}

function split(total: number, reserve: number, leases: LeaseDemand[], resource: Resource, active: boolean): Split {
  const T = Math.max(0, Math.floor(total));
  const servers = leases.map((l) => l.serves);
  const serverCount = servers.filter(Boolean).length;
  const floorEach = serverCount > 0 && T >= 2 * serverCount ? 1 : 0;
  const floors: number[] = servers.map((s) => (s ? floorEach : 0));
  const avail = T - floors.reduce((a, b) => a + b, 0);

  const interactive = leases.map((l) => demandOf(l.demand.interactive, resource));
  const lower = leases.map((l) => demandOf(l.demand.batch, resource) + shadowDemandOf(l.demand.shadow, resource));
  const otherDemand = interactive.map((d, i) => d + lower[i]!);
  const anyOther = otherDemand.some((d) => d > 0);
  // Serving before the rest: what serving asks for (its busiest recent second, so that its share
  // does not follow every dip of its traffic) comes first even beyond the reserve; the others never hold more than 1 − reserve while it is active.
  const servingDemand = leases.map((l) => {
    const d = l.demand.serving;
    if (resource !== "rate" || (d.rate === 0 && !d.peak && d.waiting === 0)) return Math.ceil(demandOf(d, resource));
    // The busiest recent second already holds its jitter; the last second gets the headroom.
    return Math.ceil(Math.max(d.rate + SERVING_RATE_HEADROOM, d.peak ?? 0) + d.waiting);
  });
  const servingWant = servingDemand.reduce((a, d) => a + d, 0);
  const servingFloors = floors.reduce((a, b) => a + b, 0);
  const otherCap = active ? Math.max(0, Math.min(avail, Math.floor((1 - reserve) * T + 1e-9), T - Math.max(servingWant, servingFloors))) : avail;

  // Non-serving: interactive first, the rest to batch and shadow (or back to interactive when they ask for nothing).
  let other = leases.map(() => 0);
  if (anyOther) {
    const first = waterfill(otherCap, interactive);
    const rest = otherCap - first.reduce((a, b) => a + b, 0);
    const anyLower = lower.some((d) => d > 0);
    const second = apportion(rest, anyLower ? lower : interactive);
    other = first.map((g, i) => g + second[i]!);
  }
  const otherUsed = other.reduce((a, b) => a + b, 0);

  // Serving: its demand first, then what is left evenly to the processes that may serve.
  const pool = avail - otherUsed;
  const serve = waterfill(pool, servingDemand);
  const leftover = pool - serve.reduce((a, b) => a + b, 0);
  const heirs = serverCount > 0 ? servers.map((s) => (s ? 1 : 0)) : leases.map(() => 1);
  const extra = apportion(leftover, heirs);

  const totals = leases.map((_, i) => floors[i]! + other[i]! + serve[i]! + extra[i]!);
  // With serving active the others keep to their cap; otherwise a process's other classes may use all it holds.
  const nonServing = totals.map((t, i) => (active ? other[i]! : t));
  return { total: totals, nonServing };
}

export function allocate(input: AllocationInput): Allocation {
  const reserve = Math.min(1, Math.max(0, input.servingReserve));
  // The same order in every process, so that every process computes the same answer.
  const leases = [...input.leases].sort((a, b) => (a.processId < b.processId ? -1 : a.processId > b.processId ? 1 : 0));
  const active = leases.some(servingSeen);
  const rate = split(input.rate, reserve, leases, "rate", active);
  const conc = split(input.concurrency, reserve, leases, "concurrency", active);
  const grants = new Map<string, Grant>();
  leases.forEach((lease, i) => {
    grants.set(lease.processId, {
      rate: rate.total[i]!,
      concurrency: conc.total[i]!,
      nonServingRate: rate.nonServing[i]!,
      nonServingConcurrency: conc.nonServing[i]!,
    });
  });
  return { servingActive: active, grants };
}

/** No demand in any class. */
export function idleDemand(): Record<BudgetClass, ClassDemand> {
  return {
    serving: { rate: 0, inFlight: 0, waiting: 0 },
    interactive: { rate: 0, inFlight: 0, waiting: 0 },
    batch: { rate: 0, inFlight: 0, waiting: 0 },
    shadow: { rate: 0, inFlight: 0, waiting: 0 },
  };
}
