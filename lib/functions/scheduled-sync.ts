import "server-only";
import { systemContext, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { requestDriftEvaluation, type DriftEvaluationRequest } from "@/lib/drift/request";
import { env } from "@/lib/env";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { functionsToProbe, probeLatest, type ProbeOutcome } from "./probe";
import { describeSync, syncFunctions, type SyncReport } from "./service";

/** The actor of the scheduled sync's audit events. */
export const SCHEDULED_SYNC_ACTOR = "system (scheduled sync)";

export type ScheduledSyncResult =
  | { skipped: "nyckel_not_configured" }
  | { report: SyncReport; probes: ProbeOutcome[]; requested: DriftEvaluationRequest[] };

/**
 * A sync and what drift watch needs after it: asks for an evaluation of each
 * newly discovered current model of a function that has a golden set, and
 * probes `latest` where Nyckel reports no current model id (probe.ts). One
 * request per model. Used by the scheduled job and by "Sync now" alike, so a
 * model found either way is evaluated. Nyckel not configured: the sync's
 * clear error.
 */
export async function syncAndWatch(ctx: ServiceContext): Promise<{ report: SyncReport; probes: ProbeOutcome[]; requested: DriftEvaluationRequest[] }> {
  const report = await syncFunctions(ctx);
  const requested: DriftEvaluationRequest[] = [];
  if (report.discoveredModels.length > 0) {
    const golden = await prisma.nyckelFunction.findMany({
      where: { id: { in: report.discoveredModels.map((d) => d.functionId) }, goldenSampleSetId: { not: null }, goldenSampleSet: { deletedAt: null } },
      select: { id: true },
    });
    const withGolden = new Set(golden.map((f) => f.id));
    for (const d of report.discoveredModels) {
      if (withGolden.has(d.functionId)) requested.push({ functionId: d.functionId, candidateModelId: d.modelId, trigger: "discovered" });
    }
  }
  const probes: ProbeOutcome[] = [];
  const toProbe = await functionsToProbe();
  const nyckel = toProbe.length > 0 ? await getNyckelClient() : null;
  for (const fn of nyckel ? toProbe : []) {
    const outcome = await probeLatest(nyckel!.client, fn);
    probes.push(outcome);
    if (outcome.status === "changed") requested.push({ functionId: fn.id, candidateModelId: null, trigger: "latest_probe" });
    if (outcome.status === "failed") logger.warn({ functionId: fn.id, error: outcome.error }, "latest probe failed");
  }
  // The sync has committed: a request that cannot be queued is logged with what it was for, and the others still go.
  const failed: DriftEvaluationRequest[] = [];
  for (const r of requested) {
    await requestDriftEvaluation(r).catch((err: unknown) => {
      failed.push(r);
      logger.error({ err: err instanceof Error ? err.message : String(err), request: r }, "could not queue a drift evaluation; use Evaluate latest now");
    });
  }
  return { report, probes, requested: requested.filter((r) => !failed.includes(r)) };
}

/** One scheduled sync (the function-sync job); skipped quietly while Nyckel is not configured. */
export async function runScheduledSync(): Promise<ScheduledSyncResult> {
  if (!(await getNyckelClient())) return { skipped: "nyckel_not_configured" };
  return syncAndWatch(systemContext(SCHEDULED_SYNC_ACTOR));
}

let ticker: NodeJS.Timeout | undefined;

/**
 * Works the function-sync queue and keeps it fed: every process with job
 * workers sends a job every MODELPIN_SYNC_INTERVAL_SECONDS, and one right
 * away (the first sync at start). pg-boss keeps one job per key and time slot
 * of that length, so several workers together still sync once per interval.
 * A scheduled job and a start job may run back to back: a second sync right
 * after the first finds nothing new and writes nothing.
 */
export async function startFunctionSyncWorker(intervalSeconds: number = env().MODELPIN_SYNC_INTERVAL_SECONDS): Promise<void> {
  const boss = await getBoss();
  await boss.work(QUEUES.functionSync, { batchSize: 1, pollingIntervalSeconds: Math.min(2, intervalSeconds) }, async () => {
    const result = await runScheduledSync().catch((err: unknown) => {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, "the scheduled sync failed; the next one is in the next interval");
      throw err;
    });
    if ("report" in result && (result.report.added.length || result.report.updated.length || result.report.removed.length || result.requested.length)) {
      logger.info({ requested: result.requested.length }, describeSync(result.report));
    }
  });
  // The first sync has its own key and a short slot: a restart syncs at once, processes starting together sync once.
  const tick = (key: "scheduled" | "start" = "scheduled") =>
    boss
      .send(QUEUES.functionSync, { key }, {
        singletonKey: key,
        singletonSeconds: key === "start" ? Math.min(intervalSeconds, 30) : intervalSeconds,
        retryLimit: 0,
        expireInSeconds: Math.max(60, intervalSeconds),
      })
      .catch((err: unknown) => logger.error({ err }, "could not queue the scheduled sync"));
  if (ticker) clearInterval(ticker);
  ticker = setInterval(() => void tick(), intervalSeconds * 1000);
  ticker.unref();
  boss.once("stopped", () => {
    clearInterval(ticker);
    ticker = undefined;
  });
  await tick("start");
}
