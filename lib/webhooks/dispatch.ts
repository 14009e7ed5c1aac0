import "server-only";
import { getPgPool } from "@/lib/db/pool";
import { env } from "@/lib/env";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import type { DeliveryJobData } from "./deliver";

/**
 * Fan-out of the webhook outbox: each undispatched webhook_events row becomes
 * one pg-boss delivery job per active webhook subscribed to its type, and the
 * row is marked dispatched — jobs and mark in ONE transaction (pg-boss writes
 * its jobs through our connection), so an event is fanned out exactly once
 * even if the process dies half-way. Any number of instances may run this at
 * once: rows are claimed with FOR UPDATE SKIP LOCKED.
 */

export type RetryPolicy = {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** Base delay of pg-boss's exponential backoff: retry n waits between d·2^(n-1) and d·2^n seconds. */
  retryDelaySeconds: number;
};

export function defaultRetryPolicy(): RetryPolicy {
  const config = env();
  return { maxAttempts: config.MODELPIN_WEBHOOK_MAX_ATTEMPTS, retryDelaySeconds: config.MODELPIN_WEBHOOK_RETRY_DELAY_SECONDS };
}

/** A delivery job may run this long before pg-boss considers it lost (the POST itself times out after 10 s). */
const JOB_EXPIRE_SECONDS = 60;
const BATCH = 200;

export async function dispatchPendingEvents(options: { limit?: number; retry?: Partial<RetryPolicy> } = {}): Promise<{ events: number; jobs: number }> {
  const retry = { ...defaultRetryPolicy(), ...options.retry };
  const boss = await getBoss();
  const client = await getPgPool().connect();
  try {
    await client.query("BEGIN");
    const { rows: events } = await client.query<{ id: string; type: string }>(
      `SELECT id, type FROM webhook_events
        WHERE dispatched_at IS NULL
        ORDER BY created_at, id
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [options.limit ?? BATCH],
    );
    if (events.length === 0) {
      await client.query("COMMIT");
      return { events: 0, jobs: 0 };
    }
    const types = [...new Set(events.map((e) => e.type))];
    const { rows: hooks } = await client.query<{ id: string; events: string[] }>(
      "SELECT id, events FROM webhooks WHERE active AND events && $1::text[] ORDER BY created_at",
      [types],
    );
    const jobs = events.flatMap((event) =>
      hooks
        .filter((h) => h.events.includes(event.type))
        .map((h) => ({
          name: QUEUES.webhookDelivery,
          data: { eventId: event.id, webhookId: h.id } satisfies DeliveryJobData,
          retryLimit: Math.max(0, retry.maxAttempts - 1),
          retryDelay: retry.retryDelaySeconds,
          retryBackoff: true,
          expireInSeconds: JOB_EXPIRE_SECONDS,
        })),
    );
    if (jobs.length) await boss.insert(jobs, { db: { executeSql: (text, values) => client.query(text, values) } });
    await client.query("UPDATE webhook_events SET dispatched_at = now() WHERE id = ANY($1::uuid[])", [events.map((e) => e.id)]);
    await client.query("COMMIT");
    return { events: events.length, jobs: jobs.length };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
