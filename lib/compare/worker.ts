import "server-only";
import pg from "pg";
import { appendAuditEvent } from "@/lib/audit/service";
import { prisma } from "@/lib/db/client";
import { timeoutOptions } from "@/lib/db/timeouts";
import { requireDatabaseUrl } from "@/lib/env";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { notifyComparisonRunEnded } from "./run-events";
import { executeRun } from "./runner";
import { enqueueRun } from "./service";

/**
 * Runs one comparison while holding a session advisory lock on it, so two
 * workers (a resumed job and its stale original) never execute the same run
 * at once. The lock dies with the connection if the process is killed.
 */
export async function runComparisonJob(runId: string): Promise<string> {
  const lock = new pg.Client({ connectionString: requireDatabaseUrl(), application_name: "modelpin-compare-lock", ...timeoutOptions("app") });
  lock.on("error", () => undefined); // a lost connection surfaces as the next query's error, not as a crash
  await lock.connect();
  try {
    const { rows } = await lock.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [lockKey(runId)]);
    if (!rows[0]?.ok) return "already running elsewhere";
    const nyckel = await getNyckelClient();
    if (!nyckel) {
      await failComparisonRun(runId, "Nyckel is not configured.");
      await notifyComparisonRunEnded(runId);
      return "failed";
    }
    const outcome = await executeRun(runId, { client: nyckel.client });
    await notifyComparisonRunEnded(runId);
    return outcome;
  } finally {
    await lock.end().catch(() => undefined);
  }
}

/**
 * Ends an unfinished run as failed, with the reason the run page shows, and its
 * audit event. A run that already ended is left as it is.
 */
export async function failComparisonRun(runId: string, reason: string): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const run = await tx.comparisonRun.findUnique({ where: { id: runId }, select: { status: true, functionId: true } });
    if (!run || !["queued", "running", "cancelling"].includes(run.status)) return false;
    await tx.comparisonRun.update({ where: { id: runId }, data: { status: "failed", error: reason, finishedAt: new Date() } });
    await appendAuditEvent(tx, {
      actor: { id: null, label: "system (comparison worker)" },
      action: "comparison.failed",
      functionId: run.functionId,
      targetType: "comparison_run",
      targetId: runId,
      before: { status: run.status },
      after: { status: "failed", error: reason },
    });
    return true;
  });
}

function lockKey(runId: string): string {
  return `comparison-run:${runId}`;
}

/**
 * Re-queues runs that were started but that no process is executing: their worker
 * was killed while other workers kept running (nobody restarted, so no start-up
 * re-queue), and pg-boss would only retry the killed job when it expires (hours).
 * "Not executing" = nobody holds the run's advisory lock. A duplicate job is
 * harmless: it finds the lock taken or the run finished.
 */
export async function requeueOrphanedRuns(): Promise<string[]> {
  const runs = await prisma.comparisonRun.findMany({ where: { status: { in: ["running", "cancelling"] } }, select: { id: true } });
  if (runs.length === 0) return [];
  const conn = new pg.Client({ connectionString: requireDatabaseUrl(), application_name: "modelpin-compare-lock", ...timeoutOptions("app") });
  conn.on("error", () => undefined);
  await conn.connect();
  const orphaned: string[] = [];
  try {
    for (const run of runs) {
      const { rows } = await conn.query<{ free: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS free", [lockKey(run.id)]);
      if (!rows[0]?.free) continue;
      await conn.query("SELECT pg_advisory_unlock(hashtext($1))", [lockKey(run.id)]);
      orphaned.push(run.id);
    }
  } finally {
    await conn.end().catch(() => undefined);
  }
  for (const id of orphaned) await enqueueRun(id);
  if (orphaned.length) logger.warn({ runs: orphaned }, "re-queued comparison runs that no worker was executing");
  return orphaned;
}

const ORPHAN_SWEEP_MS = 60_000;

/**
 * Starts the comparison worker, re-queues runs a stopped process left unfinished,
 * and every minute re-queues started runs that no process is executing.
 */
export async function startComparisonWorker(): Promise<void> {
  const boss = await getBoss();
  await boss.work<{ runId: string }>(QUEUES.comparisonRun, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, async ([job]) => {
    if (!job) return;
    const { runId } = job.data;
    try {
      const outcome = await runComparisonJob(runId);
      logger.info({ runId, outcome }, "comparison run job done");
    } catch (err) {
      // pg-boss retries the job with backoff; after the last retry the run ends as failed
      // instead of staying "running" (and being re-queued by the sweep) for ever.
      logger.error({ err, runId, retry: job.retryCount, retryLimit: job.retryLimit }, "comparison run job failed");
      if (job.retryCount >= job.retryLimit) {
        await failComparisonRun(runId, "The run stopped after repeated errors (see the worker's log). Start a new run to try again.");
        await notifyComparisonRunEnded(runId);
      }
      throw err;
    }
  });
  const unfinished = await prisma.comparisonRun.findMany({ where: { status: { in: ["queued", "running", "cancelling"] } }, select: { id: true } });
  for (const run of unfinished) await enqueueRun(run.id);
  if (unfinished.length) logger.info({ runs: unfinished.length }, "re-queued unfinished comparison runs");
  setInterval(() => {
    requeueOrphanedRuns().catch((err: unknown) => logger.error({ err }, "could not look for orphaned comparison runs"));
  }, ORPHAN_SWEEP_MS).unref();
}
