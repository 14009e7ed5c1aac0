import "server-only";
import { Counter, Gauge, type Registry } from "prom-client";
import { databasePools } from "@/lib/db/pool-registry";
import { BUDGET_CLASSES, budgetStats, type BudgetClassStats } from "@/lib/nyckel/budget/stats";
import { jobQueueFigures } from "./jobs";

/**
 * The figures /metrics reads at scrape time (prom-client `collect` callbacks):
 * the Nyckel budget (lib/nyckel/budget/stats.ts), the job queues (pg-boss's
 * tables) and the database pools (lib/db/pool-registry.ts). Counters mirror
 * the budget's own cumulative counts, so they are reset and set on each scrape.
 */

const BUDGET_MODES = ["leased", "fallback", "idle"] as const;

/** A budget figure by class: counters mirror cumulative counts (reset, then set), gauges are set. */
function perClass(registry: Registry, type: "counter" | "gauge", name: string, help: string, field: keyof BudgetClassStats): void {
  const each = (record: (labels: { class: string }, value: number) => void) => {
    const classes = budgetStats().classes;
    for (const c of BUDGET_CLASSES) record({ class: c }, classes[c][field]);
  };
  const config = { name, help, labelNames: ["class"] as const, registers: [registry] };
  if (type === "counter") {
    new Counter({
      ...config,
      collect() {
        this.reset();
        each((labels, value) => this.inc(labels, value));
      },
    });
  } else {
    new Gauge({
      ...config,
      collect() {
        each((labels, value) => this.set(labels, value));
      },
    });
  }
}

function scalarGauge(registry: Registry, name: string, help: string, value: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(value());
    },
  });
}

export function registerBudgetMetrics(registry: Registry): void {
  perClass(registry, "counter", "modelpin_budget_permits_total", "Nyckel budget permits granted by this process, by priority class.", "permits");
  perClass(registry, "counter", "modelpin_budget_waits_total", "Permits that had to wait (not granted at once), by class.", "waits");
  perClass(registry, "counter", "modelpin_budget_wait_seconds_total", "Time spent waiting for permits, in seconds, by class.", "waitSecondsSum");
  perClass(
    registry,
    "counter",
    "modelpin_budget_refused_total",
    "Permits refused (serving: Modelpin's 429 budget_exhausted; shadow: skipped), by class.",
    "refused",
  );
  perClass(registry, "gauge", "modelpin_budget_in_flight", "Nyckel calls of this process in flight now, by class.", "inFlight");
  perClass(registry, "gauge", "modelpin_budget_rate", "Permits this process granted in the last second, by class.", "rate");
  new Counter({
    name: "modelpin_nyckel_429_total",
    help: "Nyckel 429 answers (rate limited by Nyckel itself) seen by this process.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(budgetStats().nyckel429);
    },
  });
  scalarGauge(registry, "modelpin_budget_effective_rate", "The deployment-wide Nyckel rate (requests/s) after backing off from Nyckel 429s.", () => budgetStats().effectiveRate);
  scalarGauge(registry, "modelpin_budget_granted_rate", "This process's share of the Nyckel rate now (requests/s).", () => budgetStats().grantedRate);
  scalarGauge(registry, "modelpin_budget_granted_concurrency", "This process's share of Nyckel's concurrency now.", () => budgetStats().grantedConcurrency);
  new Gauge({
    name: "modelpin_budget_mode",
    help: "The budget's mode in this process (1 for the current one): leased, fallback (database unreachable: a safe local share) or idle.",
    labelNames: ["mode"],
    registers: [registry],
    collect() {
      const mode = budgetStats().mode;
      for (const m of BUDGET_MODES) this.set({ mode: m }, m === mode ? 1 : 0);
    },
  });
}

export function registerJobMetrics(registry: Registry): void {
  // Both gauges read the same cached figures (one query per few seconds).
  new Gauge({
    name: "modelpin_job_queue_depth",
    help: "Jobs in each pg-boss queue by state: queued (created or retry) or active.",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await jobQueueFigures()) {
        this.set({ queue: q.queue, state: "queued" }, q.queued);
        this.set({ queue: q.queue, state: "active" }, q.active);
      }
    },
  });
  new Gauge({
    name: "modelpin_job_oldest_queued_seconds",
    help: "Age of the oldest job in each queue that could start but has not (0 when none waits).",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of await jobQueueFigures()) this.set({ queue: q.queue }, q.oldestSeconds);
    },
  });
}

export function registerPoolMetrics(registry: Registry): void {
  const pool = (name: string, help: string, value: (p: ReturnType<typeof databasePools>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of databasePools()) this.set({ pool: p.name }, value(p));
      },
    });
  pool("modelpin_db_pool_connections", "Open connections of each database pool (idle and in use).", (p) => p.totalCount);
  pool("modelpin_db_pool_idle_connections", "Open, idle connections of each database pool.", (p) => p.idleCount);
  pool("modelpin_db_pool_waiting_queries", "Queries waiting for a connection, per database pool.", (p) => p.waitingCount);
  pool("modelpin_db_pool_max_connections", "The configured maximum size of each database pool.", (p) => p.max);
}
