import "server-only";
import { randomUUID } from "node:crypto";
import { getRunReport } from "@/lib/compare/queries";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, GateRefusedError, HumanApprovalRequiredError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { modelLabel } from "@/lib/models/label";
import { requirePinnableModel } from "@/lib/models/pinnable";
import { loadShadowEvidence } from "@/lib/shadow/evidence";
import { currentPin, lockPinAndTarget } from "@/lib/pins/locks";
import { parseInput } from "@/lib/validation";
import { buildEvidenceSummary, evidenceHash, type EvidenceSummary } from "./evidence";
import { canonicalTexts, frozenHash, type FrozenFields } from "./frozen";
import { evaluateGate, formatPct, gatePolicyOf, gateRules, type EvidenceRun } from "./gate";
import { TX, applyApproved, recordRequestEvent, requestOutcome, type LockedRequest, type Names, type RequestOutcome } from "./request-core";
import { createRequestSchema, type CreateRequestInput, type Policy } from "./schemas";

/** Opening a promotion request (the rules: lib/promotions/service.ts). */


type EvidenceCandidate =
  | {
      run: EvidenceRun & { sampleSet: { id: string; name: string }; modelALabel: string; modelBLabel: string; total: number };
      report: Awaited<ReturnType<typeof getRunReport>> | null;
      shadow?: undefined;
    }
  | { run: EvidenceRun; report?: undefined; shadow: { snapshotId: string; summary: EvidenceSummary } };

async function loadEvidence(runId: string): Promise<EvidenceCandidate> {
  const run = await prisma.comparisonRun.findUnique({
    where: { id: runId },
    select: {
      id: true,
      functionId: true,
      status: true,
      modelA: true,
      modelALabel: true,
      modelB: true,
      modelBLabel: true,
      finishedAt: true,
      total: true,
      sampleSet: { select: { id: true, name: true } },
    },
  });
  if (!run) throw new NotFoundError("That comparison run does not exist.", { evidenceRunId: ["Unknown run."] });
  // A finished run's results no longer change: its report is read outside the transaction.
  const report = run.status === "finished" ? await getRunReport(run.id) : null;
  const agreement = report ? { n: report.agreement.n, agree: report.agreement.agree, rate: report.agreement.rate } : null;
  return { run: { ...run, agreement }, report };
}

/** What callers inside Modelpin (drift watch) add to a request; never from a form. */
export type CreateRequestOptions = {
  /** At least this many approvals, whatever the policy says (drift candidates: 1, so a human always decides). */
  minApprovals?: number;
  /** More writes in the request's transaction, after it is opened (rolled back with it when they throw). */
  then?: (tx: Tx, outcome: RequestOutcome) => Promise<void>;
};

/**
 * Opens a promotion request. Applies it at once when it needs no approvals
 * (the environment's policy, or `options.minApprovals`; the evidence gate still applies).
 */
export async function createRequest(ctx: ServiceContext, raw: CreateRequestInput, options: CreateRequestOptions = {}): Promise<RequestOutcome> {
  authorize(ctx, "requests:create");
  const input = parseInput(createRequestSchema, raw);
  // Evidence: a comparison run, or a shadow evaluation frozen as a snapshot (judged by the same gate).
  const evidence: EvidenceCandidate | null = input.evidenceRunId
    ? await loadEvidence(input.evidenceRunId)
    : input.evidenceShadowSnapshotId
      ? await loadShadowEvidence(input.evidenceShadowSnapshotId).then((e) => ({ run: e.run, shadow: { snapshotId: e.snapshotId, summary: e.summary } }))
      : null;

  return prisma.$transaction(async (tx) => {
    const now = new Date();
    const environment = await tx.environment.findUnique({
      where: { id: input.environmentId },
      select: { id: true, slug: true, name: true, protected: true, approvalsRequired: true, rejectionBlocks: true, requestExpiryHours: true, minAgreementPct: true, minAnsweredSamples: true, maxErrorPct: true, gateLowerBound: true },
    });
    if (!environment) throw new NotFoundError("That environment does not exist.", { environmentId: ["Unknown environment."] });
    const fn = await tx.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true, name: true } });
    if (!fn) throw new NotFoundError("That function does not exist.");

    const target = input.targetModelRefId
      ? await requirePinnableModel(tx, { modelRefId: input.targetModelRefId, functionId: fn.id }, { field: "targetModelRefId", cannotBe: "requested" })
      : null;
    const targetText = modelLabel(target);

    // Zero approvals: the request applies now, so take the pin and model locks before anything else (see lock order).
    const approvalsRequired = Math.max(environment.approvalsRequired, options.minApprovals ?? 0);
    const applyNow = approvalsRequired === 0;
    if (applyNow && ctx.actor.tokenId) {
      throw new HumanApprovalRequiredError(
        `${environment.name} needs no approvals, so this request would move the pin at once; an API token may only ask for changes a person approves. Ask a member to pin it, or an admin to require approvals in ${environment.name}.`,
      );
    }
    const pinKey = { environmentId: environment.id, functionId: fn.id };
    const lockedPin = applyNow ? await lockPinAndTarget(tx, pinKey, target?.id ?? null) : null;
    const pin = await currentPin(tx, pinKey);
    const baseVersion = lockedPin?.version ?? pin.version;
    const base = pin.model;
    if ((base?.id ?? null) === (target?.id ?? null)) {
      throw new InvalidInputError(
        target ? `${environment.name} is already pinned to ${targetText}.` : `${environment.name} already follows latest (not pinned).`,
        { targetModelRefId: ["Already pinned."] },
      );
    }

    const duplicate = await tx.promotionRequest.findFirst({
      where: {
        functionId: fn.id,
        environmentId: environment.id,
        targetModelRefId: target?.id ?? null,
        baseVersion,
        status: "pending",
        OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
      },
      select: { number: true },
    });
    if (duplicate) {
      throw new ConflictError(`Request #${duplicate.number} already asks to move ${environment.name} to ${targetText}. Decide or cancel it first.`);
    }

    // Evidence and the gate.
    const gateTarget = { functionId: fn.id, environmentName: environment.name, currentModelId: base?.modelId ?? null, targetModelId: target?.modelId ?? null, now };
    const gatePolicy = gatePolicyOf(environment);
    const verdict = evaluateGate(evidence?.run ?? null, gateTarget, gatePolicy);
    if (!verdict.ok) throw new GateRefusedError(verdict.code, verdict.message, { [evidence?.shadow ? "evidenceShadowSnapshotId" : "evidenceRunId"]: [verdict.message] });
    let summary: EvidenceSummary | null = null;
    const gateFrozen = { minAgreementPct: environment.minAgreementPct, passed: true, ...(gatePolicy.minAgreementPct === null ? {} : { rules: gateRules(gatePolicy) }) };
    const currentSide = evidence?.run.modelA === (base?.modelId ?? null) && evidence?.run.modelB === (target?.modelId ?? null) ? "a" : "b";
    if (evidence?.shadow) summary = { ...evidence.shadow.summary, currentSide, gate: gateFrozen };
    else if (evidence?.report && evidence.run.finishedAt) {
      summary = buildEvidenceSummary({ ...evidence.run, finishedAt: new Date(evidence.run.finishedAt) }, evidence.report, currentSide, gateFrozen);
    }
    const hash = summary ? evidenceHash(summary) : null;

    const policy: Policy = {
      protected: environment.protected,
      approvalsRequired: environment.approvalsRequired,
      rejectionBlocks: environment.rejectionBlocks,
      requestExpiryHours: environment.requestExpiryHours,
      minAgreementPct: environment.minAgreementPct,
      minAnsweredSamples: environment.minAnsweredSamples,
      maxErrorPct: environment.maxErrorPct,
      gateLowerBound: environment.gateLowerBound,
    };
    // The whole request, as PostgreSQL will store it, and its frozen hash (lib/promotions/frozen.ts).
    const [{ number }] = (await tx.$queryRaw<{ number: number }[]>`
      SELECT nextval(pg_get_serial_sequence('promotion_requests', 'number'))::int AS number`) as [{ number: number }];
    const texts = await canonicalTexts(tx, {
      environmentId: environment.id,
      targetModelRefId: target?.id ?? null,
      evidenceRunId: summary && !evidence?.shadow ? evidence!.run.id : null,
      requestedById: ctx.actor.id,
      policy,
      evidenceSummary: summary,
    });
    const frozen: FrozenFields = {
      ...texts,
      id: randomUUID(),
      number,
      functionId: fn.id,
      targetModelId: target?.modelId ?? null,
      baseVersion,
      baseModelId: base?.modelId ?? null,
      reason: input.reason,
      evidenceHash: hash,
      approvalsRequired,
      requestedByLabel: ctx.actor.label,
      createdAt: now,
      expiresAt: policy.requestExpiryHours ? new Date(now.getTime() + policy.requestExpiryHours * 3600_000) : null,
    };
    const requestHash = frozenHash(frozen);
    await tx.promotionRequest.create({
      data: {
        id: frozen.id,
        number,
        functionId: fn.id,
        environmentId: environment.id,
        targetModelRefId: target?.id ?? null,
        targetModelId: frozen.targetModelId,
        baseVersion,
        baseModelId: frozen.baseModelId,
        reason: input.reason,
        evidenceRunId: frozen.evidenceRunId,
        evidenceShadowSnapshotId: evidence?.shadow?.snapshotId ?? null,
        evidenceSummary: summary ?? undefined,
        evidenceHash: hash,
        policy,
        approvalsRequired,
        status: "pending",
        requestedById: ctx.actor.id,
        requestedByLabel: ctx.actor.label,
        requestedByTokenId: ctx.actor.tokenId ?? null,
        createdAt: now,
        expiresAt: frozen.expiresAt,
        requestHash,
      },
      select: { id: true },
    });
    const r: LockedRequest = { ...frozen, evidenceSummary: summary, policy, status: "pending", requestHash };
    const names: Names = { environment: { id: environment.id, slug: environment.slug, name: environment.name }, fn, target: targetText };
    await recordRequestEvent(tx, ctx, r, names, {
      action: "request.opened",
      webhook: "request.opened",
      after: {
        status: "pending",
        target: { modelId: target?.modelId ?? null, nickname: target?.nickname ?? null },
        base: { version: baseVersion, modelId: base?.modelId ?? null, nickname: base?.nickname ?? null },
        evidence: summary ? { runId: summary.runId, shadowSnapshotId: evidence?.shadow?.snapshotId ?? null, agreement: summary.agreement.rate, n: summary.agreement.n, hash } : null,
        policy,
        expiresAt: frozen.expiresAt?.toISOString() ?? null,
        requestHash,
      },
      reason: input.reason,
    });

    if (applyNow) return applyApproved(tx, ctx, r, names, lockedPin!.version, 0);
    const evidenceText = summary?.agreement.rate != null ? ` Evidence: ${formatPct(summary.agreement.rate)} agreement on ${summary.agreement.n} samples.` : "";
    const outcome = requestOutcome(
      r,
      "pending",
      0,
      `Requested #${r.number}: move ${environment.name} to ${targetText}. It needs ${approvalsRequired} approval${approvalsRequired === 1 ? "" : "s"} from others.${evidenceText}`,
    );
    await options.then?.(tx, outcome);
    return outcome;
  }, TX);
}
