import "server-only";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { expireDueRequests } from "./service";

/** Every minute: expire pending promotion requests past their environment's expiry (pg-boss cron, UTC). */
export const PROMOTION_EXPIRY_CRON = "* * * * *";

/**
 * Schedules the expiry job (idempotent: one schedule per queue, whichever
 * process sets it) and works it here. Each expiry is its own transaction:
 * status, audit event and webhook event together.
 */
export async function startPromotionExpiryWorker(): Promise<void> {
  const boss = await getBoss();
  await boss.schedule(QUEUES.promotionExpiry, PROMOTION_EXPIRY_CRON, {}, { tz: "UTC" });
  await boss.work(QUEUES.promotionExpiry, { batchSize: 1, pollingIntervalSeconds: 5 }, async ([job]) => {
    const { expired } = await expireDueRequests(new Date(), { requestId: job?.id });
    if (expired.length) logger.info({ requests: expired }, "promotion requests expired");
  });
  // Requests that expired while no worker ran are expired now, not at the next tick.
  await expireDueRequests();
}
