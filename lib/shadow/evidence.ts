import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { LATEST_MODEL } from "@/lib/serving/schemas";
import { evidenceHash, type EvidenceSummary } from "@/lib/promotions/evidence";
import type { EvidenceRun } from "@/lib/promotions/gate";
import { parseInput } from "@/lib/validation";
import { flushShadowRecorder } from "./recorder";
import { shadowReport } from "./queries";
import { freezeShadowSchema, type FreezeShadowInput } from "./schemas";
import { SHADOW_PERMISSION } from "./service";

/**
 * A shadow frozen as evidence for a promotion request (issue 18). Freezing writes a
 * snapshot — the window, the mirrored and answered counts, the agreement with its 95%
 * interval, the errors — whose summary has the comparison evidence's shape
 * (`EvidenceSummary`, with `shadow` set), so a request carries it exactly as it carries a
 * run's, and `shadowEvidenceRun` gives the promotion gate the same `EvidenceRun` it judges
 * for a comparison: side A is the model that served over the window (the environment's
 * pin), side B the candidate; samples = mirrored requests, answered = both answered.
 *
 * A window in which the served model changed (the pin moved) is refused: the figures
 * would mix two models.
 */

export type FrozenShadow = { snapshotId: string; summary: EvidenceSummary; hash: string };

export async function freezeShadowEvidence(ctx: ServiceContext, input: FreezeShadowInput): Promise<FrozenShadow> {
  authorize(ctx, SHADOW_PERMISSION);
  const data = parseInput(freezeShadowSchema, input);
  // What this process still holds is written first, so the snapshot includes it.
  await flushShadowRecorder();
  const report = await shadowReport(data.shadowId, { from: data.from, to: data.to });
  if (!report) throw new NotFoundError("That shadow does not exist.");
  const { shadow } = report;
  const from = new Date(report.window.from);
  const to = new Date(report.window.to);
  const served = await prisma.shadowRecord.groupBy({ by: ["servedModelId"], where: { shadowId: shadow.id, at: { gte: from, lt: to } } });
  if (served.length === 0 || report.traffic.mirrored === 0) {
    throw new InvalidInputError("No mirrored request was recorded in that window yet, so there is nothing to freeze.");
  }
  if (served.length > 1) {
    throw new InvalidInputError(
      `The model serving ${shadow.environment.name} changed within that window (${served.map((s) => s.servedModelId).join(", ")}); freeze a window with one served model.`,
    );
  }
  const servedModelId = served[0]!.servedModelId === LATEST_MODEL ? null : served[0]!.servedModelId;
  const servedModel = servedModelId
    ? await prisma.model.findUnique({ where: { functionId_modelId: { functionId: shadow.functionId, modelId: servedModelId } }, select: { nickname: true } })
    : null;
  const label = (id: string | null, nickname?: string | null) => (id === null ? "latest" : nickname ? `${nickname} (${id})` : id);
  const summary: EvidenceSummary = {
    runId: shadow.id,
    functionId: shadow.functionId,
    sampleSet: { id: shadow.id, name: `Live traffic of ${shadow.environment.name} (shadow evaluation)` },
    modelA: { modelId: servedModelId, label: label(servedModelId, servedModel?.nickname) },
    modelB: { modelId: shadow.candidate.modelId, label: shadow.candidate.label },
    currentSide: "a",
    finishedAt: to.toISOString(),
    samples: report.traffic.mirrored,
    answered: report.answered,
    agreement: {
      agree: report.agreement.agree,
      n: report.agreement.n,
      rate: Number.isFinite(report.agreement.rate) ? report.agreement.rate : null,
      ciLow: report.agreement.ci.low,
      ciHigh: report.agreement.ci.high,
    },
    errors: { a: report.errors.served, b: report.errors.candidate },
    accuracy: null,
    // The gate's verdict is taken when a request is opened with it (lib/promotions/create.ts).
    gate: { minAgreementPct: null, passed: false },
    shadow: {
      shadowId: shadow.id,
      environment: shadow.environment.slug,
      window: { from: from.toISOString(), to: to.toISOString() },
      mirrored: report.traffic.mirrored,
      sharePct: shadow.sharePct,
    },
  };
  const hash = evidenceHash(summary);
  const snapshot = await prisma.$transaction(async (tx) => {
    const created = await tx.shadowSnapshot.create({
      data: {
        shadowId: shadow.id,
        windowStart: from,
        windowEnd: to,
        servedModelId,
        candidateModelId: shadow.candidate.modelId,
        mirrored: report.traffic.mirrored,
        answered: report.answered,
        agree: report.agreement.agree,
        summary,
        summaryHash: hash,
        createdById: ctx.actor.id,
        createdByLabel: ctx.actor.label,
      },
      select: { id: true },
    });
    await appendAuditEventBy(tx, ctx, {
      action: "shadow.frozen",
      functionId: shadow.functionId,
      environmentId: shadow.environment.id,
      targetType: "shadow_snapshot",
      targetId: created.id,
      after: { shadowId: shadow.id, window: summary.shadow!.window, mirrored: summary.samples, agreement: summary.agreement, hash },
    });
    return created;
  });
  return { snapshotId: snapshot.id, summary: { ...summary, shadow: { ...summary.shadow!, snapshotId: snapshot.id } }, hash };
}

export type ShadowEvidence = { run: EvidenceRun; summary: EvidenceSummary; snapshotId: string };

/** A snapshot as the promotion gate judges it (exactly as a finished comparison run), with its frozen summary. */
export async function loadShadowEvidence(snapshotId: string): Promise<ShadowEvidence> {
  const snap = await prisma.shadowSnapshot.findUnique({
    where: { id: snapshotId },
    select: { id: true, windowEnd: true, servedModelId: true, candidateModelId: true, mirrored: true, answered: true, agree: true, summary: true, shadow: { select: { functionId: true } } },
  });
  if (!snap) throw new NotFoundError("That shadow snapshot does not exist.", { evidenceShadowSnapshotId: ["Unknown shadow snapshot."] });
  return { run: shadowEvidenceRun({ ...snap, functionId: snap.shadow.functionId }), summary: { ...(snap.summary as EvidenceSummary), shadow: { ...(snap.summary as EvidenceSummary).shadow!, snapshotId: snap.id } }, snapshotId: snap.id };
}

export function shadowEvidenceRun(s: { id: string; functionId: string; windowEnd: Date; servedModelId: string | null; candidateModelId: string; mirrored: number; answered: number; agree: number }): EvidenceRun {
  return {
    id: s.id,
    functionId: s.functionId,
    status: "finished",
    modelA: s.servedModelId,
    modelB: s.candidateModelId,
    finishedAt: s.windowEnd,
    total: s.mirrored,
    agreement: s.answered > 0 ? { n: s.answered, agree: s.agree, rate: s.agree / s.answered } : null,
  };
}
