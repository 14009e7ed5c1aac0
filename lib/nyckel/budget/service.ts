import "server-only";
import { env, requireDatabaseUrl } from "@/lib/env";
import { logger } from "@/lib/logger";
import type { NyckelPermits } from "@/lib/nyckel/client";
import { BudgetCoordinator } from "./coordinator";
import { setBudgetStatsSource, type BudgetClass } from "./stats";
import { flushOnSignals } from "@/lib/shutdown";

/**
 * The process's Nyckel budget (docs/budget.md): started lazily by the first Nyckel
 * call of the process (web or worker), stopped cleanly by `stopNyckelBudget()` or at
 * SIGTERM/SIGINT (its lease row is deleted, so the others take its share at once).
 */

type Holder = { coordinator: BudgetCoordinator | null; role: string; serves: boolean; hooked: boolean };
const key = Symbol.for("modelpin.nyckel.budget");
const holder = globalThis as unknown as { [key]?: Holder };

function state(): Holder {
  holder[key] ??= { coordinator: null, role: "all", serves: true, hooked: false };
  return holder[key];
}

/** What this process does (before its first Nyckel call): `worker` never serves proxy traffic. */
export function setNyckelBudgetRole(role: "all" | "web" | "serve" | "worker"): void {
  const s = state();
  s.role = role;
  s.serves = role !== "worker";
}

/** The process's budget, started on first use. */
export function getNyckelBudget(): BudgetCoordinator {
  const s = state();
  if (s.coordinator) return s.coordinator;
  const config = env();
  const coordinator = new BudgetCoordinator({
    connectionString: requireDatabaseUrl(),
    role: s.role,
    serves: s.serves,
    rate: config.NYCKEL_RATE_LIMIT_RPS,
    concurrency: config.NYCKEL_MAX_CONCURRENCY,
    servingReserve: config.NYCKEL_SERVING_RESERVE,
    renewMs: config.NYCKEL_BUDGET_RENEW_MS,
    leaseMs: config.NYCKEL_BUDGET_LEASE_MS,
    servingMaxWaitMs: config.NYCKEL_SERVING_MAX_WAIT_MS,
    log: { info: (f, m) => logger.info(f, m), warn: (f, m) => logger.warn(f, m) },
  });
  s.coordinator = coordinator;
  setBudgetStatsSource({ snapshot: () => coordinator.snapshot(), leases: () => coordinator.leases() });
  void coordinator.start();
  hookShutdown(s);
  return coordinator;
}

/** Stops the budget and gives its lease back (tests, scripts/dev.ts, shutdown). */
export async function stopNyckelBudget(): Promise<void> {
  const s = state();
  const coordinator = s.coordinator;
  s.coordinator = null;
  await coordinator?.stop();
}

function hookShutdown(s: Holder): void {
  if (s.hooked) return;
  s.hooked = true;
  flushOnSignals(stopNyckelBudget);
}

/** The permits the Nyckel client takes for every request (lib/nyckel-settings/connection.ts). */
export const nyckelBudgetPermits: NyckelPermits = {
  acquire: (cls: BudgetClass, signal?: AbortSignal) => getNyckelBudget().acquire(cls, { signal }),
  reportRateLimited: () => getNyckelBudget().reportNyckel429(),
};
