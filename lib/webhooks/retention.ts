import "server-only";
import { prisma } from "@/lib/db/client";
import { env } from "@/lib/env";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";

/** Once a day at 03:17 UTC (pg-boss cron): delete webhook history past the retention. */
export const WEBHOOK_RETENTION_CRON = "17 3 * * *";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes, in one transaction, the delivery log rows (tests included) created
 * more than `days` days before `now`, then the outbox events of that age that
 * were dispatched and have no delivery row left. Events not yet dispatched are
 * kept whatever their age: they are still owed to their webhooks. A delivery
 * job that still runs for a deleted event is skipped by the worker.
 */
export async function pruneWebhookHistory(
  now: Date = new Date(),
  days: number = env().MODELPIN_WEBHOOK_RETENTION_DAYS,
): Promise<{ deliveries: number; events: number; before: Date }> {
  const before = new Date(now.getTime() - days * DAY_MS);
  return prisma.$transaction(async (tx) => {
    const deliveries = await tx.webhookDelivery.deleteMany({ where: { createdAt: { lt: before } } });
    const events = await tx.webhookEvent.deleteMany({
      where: { createdAt: { lt: before }, dispatchedAt: { not: null }, deliveries: { none: {} } },
    });
    return { deliveries: deliveries.count, events: events.count, before };
  });
}

/** Schedules the daily prune (idempotent: one schedule per queue) and works it in this process. */
export async function startWebhookRetentionWorker(): Promise<void> {
  const boss = await getBoss();
  await boss.schedule(QUEUES.webhookRetention, WEBHOOK_RETENTION_CRON, {}, { tz: "UTC" });
  await boss.work(QUEUES.webhookRetention, { batchSize: 1, pollingIntervalSeconds: 60 }, async () => {
    const pruned = await pruneWebhookHistory();
    if (pruned.deliveries || pruned.events) logger.info(pruned, "webhook history pruned");
  });
}
