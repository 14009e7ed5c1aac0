import "server-only";
import pg from "pg";
import { prisma } from "@/lib/db/client";
import { requireDatabaseUrl } from "@/lib/env";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { executeRun } from "./runner";
import { enqueueRun } from "./service";

/**
 * Runs one comparison while holding a session advisory lock on it, so two
 * workers (a resumed job and its stale original) never execute the same run
 * at once. The lock dies with the connection if the process is killed.
 */
export async function runComparisonJob(runId: string): Promise<string> {
  const lock = new pg.Client({ connectionString: requireDatabaseUrl() });
  await lock.connect();
  try {
    const { rows } = await lock.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [`comparison-run:${runId}`]);
    if (!rows[0]?.ok) return "already running elsewhere";
    const nyckel = await getNyckelClient();
    if (!nyckel) {
      await prisma.comparisonRun.update({ where: { id: runId }, data: { status: "failed", error: "Nyckel is not configured.", finishedAt: new Date() } });
      return "failed";
    }
    return await executeRun(runId, { client: nyckel.client });
  } finally {
    await lock.end().catch(() => undefined);
  }
}

/** Starts the comparison worker and re-queues runs a stopped process left unfinished. */
export async function startComparisonWorker(): Promise<void> {
  const boss = await getBoss();
  await boss.work<{ runId: string }>(QUEUES.comparisonRun, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return;
    const outcome = await runComparisonJob(job.data.runId);
    logger.info({ runId: job.data.runId, outcome }, "comparison run job done");
  });
  const unfinished = await prisma.comparisonRun.findMany({ where: { status: { in: ["queued", "running", "cancelling"] } }, select: { id: true } });
  for (const run of unfinished) await enqueueRun(run.id);
  if (unfinished.length) logger.info({ runs: unfinished.length }, "re-queued unfinished comparison runs");
}
