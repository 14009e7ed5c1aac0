/**
 * pg-boss's schema and queues, created by the migrate step as the owner role.
 *
 * The app's job queue (lib/jobs/boss.ts) starts with `migrate: false`: it
 * neither creates nor migrates pg-boss's schema, and the app role has no
 * CREATE privilege to do it with. Creating a queue in pg-boss 10 creates a
 * table (a partition of `pgboss.job`), so the queues are created here too:
 * Modelpin's (lib/jobs/queues.ts) and the one pg-boss's scheduler sends
 * through. The app role's grants on the schema follow (lib/db/roles.ts).
 *
 * Not "server-only": the migration tooling (scripts, tests) imports this.
 */
import PgBoss from "pg-boss";

import { JOBS_SCHEMA, QUEUES } from "@/lib/jobs/queues";

/** The queue pg-boss's scheduler (`boss.schedule`, started with `schedule: true`) sends cron jobs through. */
export const PG_BOSS_SCHEDULER_QUEUE = "__pgboss__send-it";

/** Every queue the app uses: created by the migrate step, checked by the app's boss at start. */
export const ALL_QUEUES: readonly string[] = [...Object.values(QUEUES), PG_BOSS_SCHEDULER_QUEUE];

/**
 * Create or migrate pg-boss's schema and create the queues (idempotent).
 * `ownerUrl` connects as the role that owns Modelpin's tables.
 */
export async function prepareJobsSchema(ownerUrl: string, queues: readonly string[] = ALL_QUEUES): Promise<void> {
  await withOwnerBoss(ownerUrl, async (boss) => {
    const existing = new Set((await boss.getQueues()).map((queue) => queue.name));
    for (const name of queues) {
      if (!existing.has(name)) await boss.createQueue(name);
    }
  });
}

/**
 * Run `fn` with a pg-boss instance connected as the owner (it creates or
 * migrates the schema on start), without workers, maintenance or scheduling.
 * Tests use it to create and drop queues of their own.
 */
export async function withOwnerBoss<T>(ownerUrl: string, fn: (boss: PgBoss) => Promise<T>): Promise<T> {
  const boss = new PgBoss({
    connectionString: ownerUrl,
    schema: JOBS_SCHEMA,
    application_name: "modelpin-migrate",
    max: 2,
    migrate: true,
    supervise: false,
    schedule: false,
  });
  let failure: unknown;
  boss.on("error", (error: unknown) => {
    failure ??= error;
  });
  try {
    await boss.start();
  } catch (error) {
    await closeUnstartedBoss(boss);
    throw error;
  }
  try {
    const result = await fn(boss);
    if (failure) throw failure;
    return result;
  } finally {
    await boss.stop({ graceful: false, close: true }).catch(() => undefined);
  }
}

/** Close the pool of a pg-boss instance whose `start()` failed (its `stop()` does nothing then). */
export async function closeUnstartedBoss(boss: PgBoss): Promise<void> {
  const db = boss.getDb() as unknown as { opened?: boolean; close?: () => Promise<void> };
  if (db.opened) await db.close?.().catch(() => undefined);
}
