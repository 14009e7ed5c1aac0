import "server-only";
import { logger } from "@/lib/logger";

/**
 * The worker registry: starts every job worker of this process, in the web
 * process (lib/startup.ts, unless MODELPIN_WORKERS=off) or in `npm run worker`.
 * It sits above the domains: each domain owns its queue's handler and imports
 * only the queue (lib/jobs/), and this module is the one place that knows them
 * all; add new ones here. A worker that fails to start is logged and does not
 * stop the others.
 */
export async function startJobWorkers(): Promise<string[]> {
  const starters: Array<[string, () => Promise<void>]> = [
    ["comparison runs", async () => (await import("@/lib/compare/worker")).startComparisonWorker()],
    ["promotion expiry", async () => (await import("@/lib/promotions/worker")).startPromotionExpiryWorker()],
    ["webhook deliveries", async () => void (await (await import("@/lib/webhooks/worker")).startWebhookWorker())],
    ["webhook retention", async () => (await import("@/lib/webhooks/retention")).startWebhookRetentionWorker()],
    ["drift watch", async () => (await import("@/lib/drift/worker")).startDriftWorker()],
    ["audit checkpoints", async () => (await import("@/lib/audit/checkpoint")).startAuditCheckpointWorker()],
    ["function sync", async () => (await import("@/lib/functions/scheduled-sync")).startFunctionSyncWorker()],
  ];
  const started: string[] = [];
  for (const [name, start] of starters) {
    try {
      await start();
      started.push(name);
    } catch (err) {
      logger.error({ err, worker: name }, "a job worker did not start");
    }
  }
  return started;
}
