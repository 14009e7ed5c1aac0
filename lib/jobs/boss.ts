import "server-only";
import PgBoss from "pg-boss";
import type pg from "pg";
import { ALL_QUEUES, closeUnstartedBoss } from "@/lib/db/jobs-schema";
import { trackPool, untrackPool } from "@/lib/db/pool-registry";
import { timeoutOptions } from "@/lib/db/timeouts";
import { requireDatabaseUrl } from "@/lib/env";
import { logger } from "@/lib/logger";
import { JOBS_SCHEMA } from "./queues";

/**
 * The durable job queue (pg-boss on the same PostgreSQL). One instance per
 * process. Workers run in the web process (lib/startup.ts) when MODELPIN_ROLE
 * is all, or in `npm run worker`.
 *
 * It connects as the app role (DATABASE_URL), which may not create anything:
 * pg-boss's schema and the queues (lib/jobs/queues.ts) are created by the
 * migrate step as the owner (lib/db/jobs-schema.ts), so this instance starts
 * with `migrate: false` and only checks that they are there.
 *
 * Its pool has the jobs timeouts (lib/db/timeouts.ts: longer statements than
 * the app's). While the database is down or stalled pg-boss keeps retrying by
 * itself; its errors are logged as one line each, and not at all once
 * `stopBoss` has begun (the database may go away first at shutdown).
 */
export { QUEUES } from "./queues";

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

const RUN_THE_MIGRATE_STEP = "run the migrate step (npm run db:deploy) as the owner role, MIGRATION_DATABASE_URL";

async function create(): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: requireDatabaseUrl(),
    schema: JOBS_SCHEMA,
    application_name: "modelpin-jobs",
    max: JOBS_POOL_MAX,
    migrate: false,
    ...timeoutOptions("jobs"),
  });
  boss.on("error", (err) => {
    if (globalForBoss.modelpinBossStopping) return;
    logger.error({ err: describeJobQueueError(err) }, "job queue error");
  });
  try {
    await boss.start();
  } catch (err) {
    await closeUnstartedBoss(boss);
    // pg-boss says "pg-boss is not installed" or "pg-boss database requires migrations".
    if (err instanceof Error && /not installed|requires migrations/.test(err.message)) {
      throw new Error(`The job queue's schema (${JOBS_SCHEMA}) is missing or out of date: ${RUN_THE_MIGRATE_STEP}.`, { cause: err });
    }
    throw err;
  }
  const pool = (boss.getDb() as unknown as { pool?: pg.Pool }).pool;
  if (pool) trackPool("jobs", JOBS_POOL_MAX, () => pool);
  const existing = new Set((await boss.getQueues()).map((queue) => queue.name));
  const missing = ALL_QUEUES.filter((name) => !existing.has(name));
  if (missing.length > 0) {
    untrackPool("jobs");
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw new Error(`The job queue${missing.length === 1 ? "" : "s"} ${missing.join(", ")} ${missing.length === 1 ? "does" : "do"} not exist: ${RUN_THE_MIGRATE_STEP}.`);
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
