import "server-only";
import type PgBoss from "pg-boss";
import { PgListener } from "@/lib/db/listen";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { runDeliveryJob, type DeliveryJobData } from "./deliver";
import { dispatchPendingEvents, type RetryPolicy } from "./dispatch";
import { WEBHOOK_NOTIFY_CHANNEL } from "./event-types";

/**
 * The webhook worker of one process:
 * - a dispatcher that fans the outbox out into pg-boss jobs, every second and
 *   at once when an emitter's NOTIFY arrives (LISTEN on its own connection);
 * - `concurrency` pg-boss workers on the delivery queue, one job each, so one
 *   slow receiver (10 s timeout) does not hold up the others;
 * - a wake-up at the exact time pg-boss schedules a retry, so retries follow
 *   the backoff schedule instead of the next poll.
 */

export type WebhookWorkerOptions = {
  /** Overrides MODELPIN_WEBHOOK_MAX_ATTEMPTS / MODELPIN_WEBHOOK_RETRY_DELAY_SECONDS (tests). */
  retry?: Partial<RetryPolicy>;
  concurrency?: number;
  dispatchIntervalMs?: number;
};

export type WebhookWorker = { stop: () => Promise<void> };

const globalForWorker = globalThis as unknown as { modelpinWebhookWorker?: Promise<WebhookWorker> };

export function startWebhookWorker(options: WebhookWorkerOptions = {}): Promise<WebhookWorker> {
  globalForWorker.modelpinWebhookWorker ??= start(options).catch((err: unknown) => {
    globalForWorker.modelpinWebhookWorker = undefined;
    throw err;
  });
  return globalForWorker.modelpinWebhookWorker;
}

async function start(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const boss = await getBoss();
  const queue = QUEUES.webhookDelivery;
  const workerIds: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const later = (ms: number, fn: () => void | Promise<void>) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) void Promise.resolve(fn()).catch((err: unknown) => logger.warn({ err }, "webhook worker timer failed"));
    }, ms);
    timers.add(t);
  };
  const wakeWorkers = () => {
    for (const id of workerIds) boss.notifyWorker(id);
  };

  /** pg-boss records a failure just after the handler throws; then read when it will retry, and wake a worker then. */
  const wakeAtRetry = (jobId: string, tries = 0) =>
    later(100, async () => {
      const job = await boss.getJobById(queue, jobId);
      if (job?.state === "retry") later(Math.max(0, new Date(job.startAfter).getTime() - Date.now()) + 5, wakeWorkers);
      else if (job?.state === "active" && tries < 20) wakeAtRetry(jobId, tries + 1);
    });

  const handle = async ([job]: PgBoss.JobWithMetadata<DeliveryJobData>[]) => {
    if (!job) return;
    const attempt = job.retryCount + 1;
    const maxAttempts = job.retryLimit + 1;
    try {
      return await runDeliveryJob(job.data, attempt, maxAttempts);
    } catch (err) {
      if (attempt < maxAttempts) wakeAtRetry(job.id);
      throw err;
    }
  };
  for (let i = 0; i < (options.concurrency ?? 4); i++) {
    const self: { id?: string } = {}; // known once work() returns; the first job may start before that
    // pg-boss waits a polling interval after every batch, even when more jobs wait; a worker that just
    // finished a job asks for the next one at once instead (the wait applies only when the queue is empty).
    self.id = await boss.work<DeliveryJobData>(queue, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, (jobs) =>
      handle(jobs).finally(() => {
        if (self.id && !stopped) boss.notifyWorker(self.id);
      }),
    );
    workerIds.push(self.id);
  }

  // The dispatcher: never two runs at once in this process; a request during a run asks for one more.
  let running: Promise<void> | null = null;
  let again = false;
  const dispatch = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        const r = await dispatchPendingEvents({ retry: options.retry });
        if (r.jobs > 0) wakeWorkers();
        if (r.events > 0) again = true; // maybe more than one batch waiting
      } while (again && !stopped);
    })()
      .catch((err: unknown) => logger.error({ err }, "webhook dispatch failed"))
      .finally(() => {
        running = null;
      });
  };
  const interval = setInterval(dispatch, options.dispatchIntervalMs ?? 1000);

  // The 1 s poll keeps delivering while the LISTEN connection is down; only the instant wake-up waits for it.
  const listener = new PgListener({
    channel: WEBHOOK_NOTIFY_CHANNEL,
    applicationName: "modelpin-webhooks",
    onNotification: dispatch,
    onConnectFailed: (err) => {
      if (!stopped) logger.warn({ err }, "webhook LISTEN failed; deliveries start on the 1 s poll until it reconnects");
    },
    onLost: (err) => logger.warn({ err }, "webhook LISTEN connection lost; reconnecting"),
  });
  await listener.start();
  dispatch();

  return {
    async stop() {
      stopped = true;
      clearInterval(interval);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await listener.close();
      for (const id of workerIds) await boss.offWork({ id }).catch(() => undefined);
      await running;
      globalForWorker.modelpinWebhookWorker = undefined;
    },
  };
}
