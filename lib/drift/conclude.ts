import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import type { AuditAction } from "@/lib/audit/catalog";
import { getRunReport } from "@/lib/compare/queries";
import { DRIFT_WATCH_ACTOR, driftWatchContext, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { isExpectedError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { modelLabel } from "@/lib/models/label";
import { currentPin } from "@/lib/pins/locks";
import { cancelRequest, createRequest } from "@/lib/promotions/service";
import { emitWebhookEvent, type WebhookEventType } from "@/lib/webhooks/emit";
import type { DriftStatus } from "./service";
import { driftVerdict } from "./verdict";

/**
 * The verdict of a drift evaluation whose comparison run ended (docs/drift.md):
 *
 * - run failed or cancelled → `failed` (audit drift.failed);
 * - the pin moved while it ran → `skipped` (the run compared another pin);
 * - verdict fails (lib/drift/verdict.ts) → `rejected`: audit drift.rejected with
 *   the reason in plain words, webhook drift.rejected, no request;
 * - passes, candidate `latest` → `awaiting_model_id` (audit): Nyckel reports no
 *   model id, so an editor registers the new one before anything can be requested;
 * - passes → `candidate_opened`: a promotion request to the model, requested by
 *   `drift watch` with the run as evidence and at least one human approval
 *   whatever the policy; in the request's transaction the evaluation is linked,
 *   audit drift.candidate_opened (beside request.opened) and webhook
 *   drift.candidate. Then older open drift candidates of the function and
 *   environment are cancelled as superseded.
 *
 * Idempotent: only an evaluation still `running` is concluded, and the status
 * change is conditional on it, so the worker's hook and its sweep can race.
 */

type Evaluation = NonNullable<Awaited<ReturnType<typeof loadEvaluation>>>;

function loadEvaluation(runId: string) {
  return prisma.driftEvaluation.findFirst({
    where: { runId, status: "running" },
    select: {
      id: true,
      functionId: true,
      environmentId: true,
      candidateModelId: true,
      baseVersion: true,
      baseModelId: true,
      function: { select: { name: true } },
      environment: {
        select: { name: true, slug: true, minAgreementPct: true, minAnsweredSamples: true, maxErrorPct: true, gateLowerBound: true, driftSignificance: true },
      },
    },
  });
}

export async function concludeDriftEvaluation(runId: string): Promise<DriftStatus | null> {
  const e = await loadEvaluation(runId);
  if (!e) return null;
  const run = await prisma.comparisonRun.findUnique({
    where: { id: runId },
    select: { id: true, functionId: true, status: true, error: true, modelA: true, modelB: true, finishedAt: true, total: true, sampleSet: { select: { name: true } } },
  });
  if (!run || run.status === "failed" || run.status === "cancelled") {
    const why = run ? `the comparison run ${run.status}${run.error ? `: ${run.error}` : ""}` : "the comparison run was deleted";
    return finish(e, "failed", why, { action: "drift.failed", runId });
  }
  if (run.status !== "finished") return null;
  const pin = await currentPin(prisma, e);
  if (pin.version !== e.baseVersion) {
    return finish(e, "skipped", `${e.environment.name}'s pin moved (version ${e.baseVersion} → ${pin.version}) while the evaluation ran; evaluate again`, { runId });
  }
  const report = await getRunReport(runId);
  const verdict = driftVerdict({
    policy: e.environment,
    run: { ...run, agreement: { n: report.agreement.n, agree: report.agreement.agree, rate: report.agreement.rate } },
    report,
    pinModelId: e.baseModelId,
    candidateModelId: e.candidateModelId,
    pinName: `${e.environment.name}'s pin`,
    now: new Date(),
  });
  if (!verdict.pass) return finish(e, "rejected", verdict.reason, { action: "drift.rejected", webhook: "drift.rejected", runId });
  if (e.candidateModelId === null) {
    const text = `latest passes against ${e.environment.name}'s pin (${verdict.summary}); Nyckel reports no model id, so register the new model's id (Nyckel console → Model Info) to request it`;
    return finish(e, "awaiting_model_id", text, { action: "drift.awaiting_model_id", runId });
  }
  return openCandidate(e, e.candidateModelId, verdict.summary, { runId, setName: run.sampleSet.name });
}

/** Conditionally ends a running evaluation with its audit event (and webhook) in one transaction. */
async function finish(
  e: Evaluation,
  status: DriftStatus,
  verdict: string,
  record: { runId: string; action?: AuditAction; webhook?: WebhookEventType },
): Promise<DriftStatus | null> {
  const done = await prisma.$transaction(async (tx) => {
    const updated = await tx.driftEvaluation.updateMany({ where: { id: e.id, status: "running" }, data: { status, verdict, decidedAt: new Date() } });
    if (updated.count !== 1) return false;
    if (record.action) await recordDriftEvent(tx, e, { action: record.action, webhook: record.webhook, targetType: "comparison_run", targetId: record.runId, verdict, runId: record.runId });
    return true;
  });
  return done ? status : null;
}

async function recordDriftEvent(
  tx: Tx,
  e: Evaluation,
  event: { action: AuditAction; webhook?: WebhookEventType; targetType: string; targetId: string; verdict: string; runId: string; request?: { id: string; number: number } },
) {
  const candidate = { modelId: e.candidateModelId };
  const base = { version: e.baseVersion, modelId: e.baseModelId };
  await appendAuditEvent(tx, {
    actor: { id: null, label: DRIFT_WATCH_ACTOR },
    action: event.action,
    functionId: e.functionId,
    environmentId: e.environmentId,
    targetType: event.targetType,
    targetId: event.targetId,
    after: { evaluationId: e.id, runId: event.runId, candidate, base, ...(event.request ? { request: `#${event.request.number}` } : {}) },
    reason: event.verdict,
  });
  if (event.webhook) {
    await emitWebhookEvent(tx, {
      type: event.webhook,
      functionId: e.functionId,
      environmentId: e.environmentId,
      data: {
        function: { id: e.functionId, name: e.function.name },
        environment: { id: e.environmentId, slug: e.environment.slug, name: e.environment.name },
        candidate,
        base,
        verdict: event.verdict,
        evaluationId: e.id,
        runId: event.runId,
        request: event.request ?? null,
        actor: DRIFT_WATCH_ACTOR,
      },
    });
  }
}

class AlreadyConcluded extends Error {}

async function openCandidate(e: Evaluation, modelId: string, summary: string, run: { runId: string; setName: string }): Promise<DriftStatus | null> {
  const model = await prisma.model.findUnique({ where: { functionId_modelId: { functionId: e.functionId, modelId } }, select: { id: true, modelId: true, nickname: true } });
  if (!model) return finish(e, "skipped", `${modelId} is no longer registered`, run);
  const ctx = driftWatchContext();
  let opened: { id: string; number: number };
  try {
    const outcome = await createRequest(
      ctx,
      {
        functionId: e.functionId,
        environmentId: e.environmentId,
        targetModelRefId: model.id,
        evidenceRunId: run.runId,
        reason: `Drift watch: Nyckel's new model ${modelLabel(model)} on the golden set “${run.setName}”: ${summary}.`,
      },
      {
        minApprovals: 1,
        then: async (tx, o) => {
          const linked = await tx.driftEvaluation.updateMany({
            where: { id: e.id, status: "running" },
            data: { status: "candidate_opened", verdict: summary, requestId: o.id, decidedAt: new Date() },
          });
          if (linked.count !== 1) throw new AlreadyConcluded();
          await recordDriftEvent(tx, e, {
            action: "drift.candidate_opened",
            webhook: "drift.candidate",
            targetType: "promotion_request",
            targetId: o.id,
            verdict: summary,
            runId: run.runId,
            request: { id: o.id, number: o.number },
          });
        },
      },
    );
    opened = { id: outcome.id, number: outcome.number };
  } catch (err) {
    if (err instanceof AlreadyConcluded) return null;
    // A request for it already open (by someone else), or the gate refused what the verdict passed: say so, open nothing.
    if (isExpectedError(err)) return finish(e, "skipped", `passed (${summary}), but no request was opened: ${err.message}`, run);
    throw err;
  }
  await supersedeOpenCandidates(ctx, e, opened, modelLabel(model));
  return "candidate_opened";
}

/** Older drift candidates still open for the function and environment: cancelled, with the newer request as the reason. */
async function supersedeOpenCandidates(ctx: ServiceContext, e: Evaluation, newer: { id: string; number: number }, label: string) {
  const older = await prisma.promotionRequest.findMany({
    where: { functionId: e.functionId, environmentId: e.environmentId, status: "pending", requestedById: null, requestedByLabel: DRIFT_WATCH_ACTOR, id: { not: newer.id } },
    select: { id: true, number: true },
  });
  for (const r of older) {
    try {
      await cancelRequest(ctx, { requestId: r.id, comment: `Superseded by a newer model: drift watch opened request #${newer.number} for ${label}.` });
      await prisma.driftEvaluation.updateMany({ where: { requestId: r.id, status: "candidate_opened" }, data: { status: "superseded" } });
    } catch (err) {
      // Decided or expired meanwhile: nothing to supersede.
      if (!isExpectedError(err)) throw err;
      logger.info({ requestId: r.id, err: err.message }, "drift candidate was not superseded");
    }
  }
}
