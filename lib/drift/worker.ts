import "server-only";
import { onComparisonRunEnded } from "@/lib/compare/run-events";
import { prisma } from "@/lib/db/client";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { concludeDriftEvaluation } from "./conclude";
import type { DriftEvaluationRequest } from "./request";
import { evaluateDrift } from "./service";

/**
 * Drift watch's worker: the jobs of QUEUES.driftEvaluate (sent by
 * requestDriftEvaluation) start evaluations; a run's end concludes its
 * evaluation at once (the comparison worker's run-ended hook), and a sweep —
 * at start and every 30 s — concludes any whose run ended while no listener
 * heard it (a restart between the run's end and its verdict).
 */
export async function handleDriftJob(data: DriftEvaluationRequest) {
  const result = await evaluateDrift(data);
  logger.info({ ...result, trigger: data.trigger, candidateModelId: data.candidateModelId }, "drift evaluation request handled");
  return result;
}

/** Concludes every running evaluation whose comparison run has ended; returns how many it concluded. */
export async function sweepDriftEvaluations(): Promise<number> {
  const ended = await prisma.driftEvaluation.findMany({
    where: { status: "running", OR: [{ runId: null }, { run: { status: { in: ["finished", "failed", "cancelled"] } } }] },
    select: { id: true, runId: true },
    take: 100,
  });
  let concluded = 0;
  for (const e of ended) {
    if (e.runId ? await concludeDriftEvaluation(e.runId) : await failRunless(e.id)) concluded++;
  }
  return concluded;
}

/** An evaluation whose comparison run was deleted (run_id set null) can never conclude: it fails, freeing the model for a new evaluation. */
async function failRunless(id: string): Promise<boolean> {
  const done = await prisma.driftEvaluation.updateMany({
    where: { id, status: "running", runId: null },
    data: { status: "failed", verdict: "the comparison run was deleted", decidedAt: new Date() },
  });
  return done.count === 1;
}

const SWEEP_MS = 30_000;

export async function startDriftWorker(): Promise<void> {
  onComparisonRunEnded(async (runId) => void (await concludeDriftEvaluation(runId)));
  const boss = await getBoss();
  await boss.work<DriftEvaluationRequest>(QUEUES.driftEvaluate, { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (job) await handleDriftJob(job.data);
  });
  const sweep = () => sweepDriftEvaluations().catch((err: unknown) => logger.error({ err }, "drift watch could not sweep its evaluations"));
  await sweep();
  setInterval(sweep, SWEEP_MS).unref();
}
