import "server-only";
import { env } from "@/lib/env";
import { BUDGET_CLASSES, budgetStats, listBudgetLeases, type BudgetClass, type BudgetLeaseInfo, type BudgetSnapshot } from "@/lib/nyckel/budget/stats";

/**
 * What Settings → Nyckel's Budget panel shows (polled about once a second):
 * the deployment's Nyckel budget by priority class, this server's mode, and
 * every process holding a lease. Plain JSON; times are relative to the
 * server's clock so the browser's clock does not matter.
 */
export type BudgetClassRow = {
  name: BudgetClass;
  /** Permits per second now: summed over every process holding a lease (this process alone when none does). */
  rate: number;
  /** Nyckel calls in flight now, summed the same way. */
  inFlight: number;
  /** Refused since this server process started (serving: Modelpin's 429 budget_exhausted; shadow: skipped). */
  refused: number;
};

export type BudgetProcessRow = Pick<BudgetLeaseInfo, "processId" | "role" | "host" | "pid" | "grantedRate" | "grantedConcurrency"> & {
  /** Share of the deployment's effective rate, 0–1. */
  share: number;
  renewedAgoMs: number;
  /** The process answering this request. */
  self: boolean;
};

export type BudgetView = {
  mode: BudgetSnapshot["mode"];
  /** NYCKEL_RATE_LIMIT_RPS and NYCKEL_MAX_CONCURRENCY: the totals for the whole deployment. */
  limitRate: number;
  limitConcurrency: number;
  /** The deployment-wide rate after backing off from Nyckel 429s; null before this process's budget starts. */
  effectiveRate: number | null;
  nyckel429: number;
  classes: BudgetClassRow[];
  processes: BudgetProcessRow[];
};

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export async function getBudgetView(now = Date.now()): Promise<BudgetView> {
  const config = env();
  const snapshot = budgetStats();
  const leases = await listBudgetLeases();
  const effectiveRate = snapshot.mode === "idle" ? null : round(snapshot.effectiveRate);
  const total = effectiveRate || config.NYCKEL_RATE_LIMIT_RPS;
  const classes = BUDGET_CLASSES.map((name): BudgetClassRow => {
    const own = snapshot.classes[name];
    const rate = leases.length ? leases.reduce((sum, l) => sum + (l.classes[name]?.rate ?? 0), 0) : own.rate;
    const inFlight = leases.length ? leases.reduce((sum, l) => sum + (l.classes[name]?.inFlight ?? 0), 0) : own.inFlight;
    return { name, rate: round(rate), inFlight, refused: own.refused };
  });
  const processes = leases
    .map(
      (l): BudgetProcessRow => ({
        processId: l.processId,
        role: l.role,
        host: l.host,
        pid: l.pid,
        grantedRate: round(l.grantedRate),
        grantedConcurrency: l.grantedConcurrency,
        share: total > 0 ? Math.min(1, l.grantedRate / total) : 0,
        renewedAgoMs: Math.max(0, now - l.renewedAt.getTime()),
        self: l.processId === snapshot.processId,
      }),
    )
    .sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
  return {
    mode: snapshot.mode,
    limitRate: config.NYCKEL_RATE_LIMIT_RPS,
    limitConcurrency: config.NYCKEL_MAX_CONCURRENCY,
    effectiveRate,
    nyckel429: snapshot.nyckel429,
    classes,
    processes,
  };
}
