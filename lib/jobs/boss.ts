import "server-only";
import PgBoss from "pg-boss";
import { requireDatabaseUrl } from "@/lib/env";
import { logger } from "@/lib/logger";

/**
 * The durable job queue (pg-boss on the same PostgreSQL). One instance per
 * process; queues are created on first start. Workers run in the web process
 * (instrumentation.ts) unless MODELPIN_WORKERS=off, or in `npm run worker`.
 */
export const QUEUES = {
  comparisonRun: "comparison-run",
  webhookDelivery: "webhook-delivery",
  promotionExpiry: "promotion-expiry",
  webhookRetention: "webhook-retention",
} as const;

const globalForBoss = globalThis as unknown as { modelpinBoss?: Promise<PgBoss> };

async function create(): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: requireDatabaseUrl(), schema: "pgboss", application_name: "modelpin-jobs" });
  boss.on("error", (err) => logger.error({ err }, "job queue error"));
  await boss.start();
  for (const name of Object.values(QUEUES)) {
    await boss.createQueue(name).catch((err: unknown) => {
      // A concurrent start may have created it first.
      if (!String(err).includes("already exists")) throw err;
    });
  }
  return boss;
}

export function getBoss(): Promise<PgBoss> {
  globalForBoss.modelpinBoss ??= create().catch((err: unknown) => {
    globalForBoss.modelpinBoss = undefined;
    throw err;
  });
  return globalForBoss.modelpinBoss;
}

export async function stopBoss(): Promise<void> {
  const pending = globalForBoss.modelpinBoss;
  globalForBoss.modelpinBoss = undefined;
  if (pending) await (await pending).stop({ graceful: true, timeout: 10_000 });
}
