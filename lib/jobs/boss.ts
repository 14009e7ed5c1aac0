import "server-only";
import PgBoss from "pg-boss";
import type pg from "pg";
import { trackPool, untrackPool } from "@/lib/db/pool-registry";
import { timeoutOptions } from "@/lib/db/timeouts";
import { requireDatabaseUrl } from "@/lib/env";
import { logger } from "@/lib/logger";

/**
 * The durable job queue (pg-boss on the same PostgreSQL). One instance per
 * process; queues are created on first start. Workers run in the web process
 * (lib/startup.ts) when MODELPIN_ROLE is all, or in `npm run worker`.
 *
 * Its pool has the jobs timeouts (lib/db/timeouts.ts: longer statements than
 * the app's). While the database is down or stalled pg-boss keeps retrying by
 * itself; its errors are logged as one line each, and not at all once
 * `stopBoss` has begun (the database may go away first at shutdown).
 */
export const QUEUES = {
  comparisonRun: "comparison-run",
  webhookDelivery: "webhook-delivery",
  promotionExpiry: "promotion-expiry",
  webhookRetention: "webhook-retention",
  auditCheckpoint: "audit-checkpoint",
} as const;

export const JOBS_POOL_MAX = 10;

const globalForBoss = globalThis as unknown as { modelpinBoss?: Promise<PgBoss>; modelpinBossStopping?: boolean };

/** One line for an error of the job queue's connections; nothing when shutting down. */
export function describeJobQueueError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

async function create(): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: requireDatabaseUrl(),
    schema: "pgboss",
    application_name: "modelpin-jobs",
    max: JOBS_POOL_MAX,
    ...timeoutOptions("jobs"),
  });
  boss.on("error", (err) => {
    if (globalForBoss.modelpinBossStopping) return;
    logger.error({ err: describeJobQueueError(err) }, "job queue error");
  });
  await boss.start();
  const pool = (boss.getDb() as unknown as { pool?: pg.Pool }).pool;
  if (pool) trackPool("jobs", JOBS_POOL_MAX, () => pool);
  for (const name of Object.values(QUEUES)) {
    await boss.createQueue(name).catch((err: unknown) => {
      // A concurrent start may have created it first.
      if (!String(err).includes("already exists")) throw err;
    });
  }
  return boss;
}

export function getBoss(): Promise<PgBoss> {
  globalForBoss.modelpinBossStopping = false;
  globalForBoss.modelpinBoss ??= create().catch((err: unknown) => {
    globalForBoss.modelpinBoss = undefined;
    throw err;
  });
  return globalForBoss.modelpinBoss;
}

/** Stops the workers (waiting up to `timeoutMs` for running jobs) and closes the queue's pool. Quiet. */
export async function stopBoss(timeoutMs = 10_000): Promise<void> {
  const pending = globalForBoss.modelpinBoss;
  globalForBoss.modelpinBoss = undefined;
  if (!pending) return;
  globalForBoss.modelpinBossStopping = true;
  untrackPool("jobs");
  const boss = await pending.catch(() => undefined);
  await boss?.stop({ graceful: true, wait: true, timeout: timeoutMs }).catch(() => undefined);
}
