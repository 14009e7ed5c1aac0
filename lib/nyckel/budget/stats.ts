/**
 * What the Nyckel budget reports about itself: the seam between the budget
 * (lib/nyckel/budget/*) and its readers (/metrics, Settings → Nyckel).
 *
 * The budget registers a source with `setBudgetStatsSource` when it starts;
 * until then (or in a process that never calls Nyckel) every figure is zero.
 * Counters are cumulative since the process started; `rate` is permits in
 * the last second; `inFlight` is now.
 */
export const BUDGET_CLASSES = ["serving", "interactive", "batch", "shadow"] as const;
export type BudgetClass = (typeof BUDGET_CLASSES)[number];

export interface BudgetClassStats {
  /** Permits granted since start. */
  permits: number;
  /** Permits that had to wait (were not granted at once). */
  waits: number;
  /** Sum of the waits, in seconds. */
  waitSecondsSum: number;
  /** Refused: no permit within the class's wait (serving → 429 budget_exhausted; shadow → skipped). */
  refused: number;
  /** Permits held now. */
  inFlight: number;
  /** Permits granted in the last second. */
  rate: number;
}

export interface BudgetSnapshot {
  /** This process's lease id, or null before the first lease. */
  processId: string | null;
  /** leased: holds a live lease; fallback: cannot reach the database, runs on a safe local share; idle: not started. */
  mode: "leased" | "fallback" | "idle";
  classes: Record<BudgetClass, BudgetClassStats>;
  /** Nyckel 429 answers seen by this process since start. */
  nyckel429: number;
  /** The deployment-wide rate after backing off from Nyckel 429s (≤ NYCKEL_RATE_LIMIT_RPS). */
  effectiveRate: number;
  /** This process's share now: requests per second and in flight. */
  grantedRate: number;
  grantedConcurrency: number;
}

/** One process holding a lease, as stored in PostgreSQL. */
export interface BudgetLeaseInfo {
  processId: string;
  role: string;
  host: string;
  pid: number;
  grantedRate: number;
  grantedConcurrency: number;
  classes: Record<BudgetClass, { rate: number; inFlight: number }>;
  renewedAt: Date;
  expiresAt: Date;
}

function zeroClass(): BudgetClassStats {
  return { permits: 0, waits: 0, waitSecondsSum: 0, refused: 0, inFlight: 0, rate: 0 };
}

export function emptyBudgetSnapshot(): BudgetSnapshot {
  return {
    processId: null,
    mode: "idle",
    classes: { serving: zeroClass(), interactive: zeroClass(), batch: zeroClass(), shadow: zeroClass() },
    nyckel429: 0,
    effectiveRate: 0,
    grantedRate: 0,
    grantedConcurrency: 0,
  };
}

type Sources = { snapshot: () => BudgetSnapshot; leases: () => Promise<BudgetLeaseInfo[]> };
const key = Symbol.for("modelpin.budget.stats");
const holder = globalThis as unknown as { [key]?: Sources };

/** Called by the budget when it starts. */
export function setBudgetStatsSource(sources: Sources): void {
  holder[key] = sources;
}

/** This process's budget figures (zeros before the budget starts). */
export function budgetStats(): BudgetSnapshot {
  return holder[key]?.snapshot() ?? emptyBudgetSnapshot();
}

/** Every live lease of the deployment (empty before the budget starts). */
export async function listBudgetLeases(): Promise<BudgetLeaseInfo[]> {
  return (await holder[key]?.leases()) ?? [];
}
