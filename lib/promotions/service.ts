import "server-only";
import { randomUUID } from "node:crypto";
import { appendAuditEvent, SYSTEM_ACTOR, type AuditActor } from "@/lib/audit/service";
import { can } from "@/lib/auth/permissions";
import { getRunReport } from "@/lib/compare/queries";
import { authorize, newRequestId, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, isExpectedError, isUniqueViolation } from "@/lib/errors";
import { applyPinChange } from "@/lib/pins/service";
import { parseInput } from "@/lib/validation";
import { emitWebhookEvent, type WebhookEventType } from "@/lib/webhooks/emit";
import { buildEvidenceSummary, evidenceHash, type EvidenceSummary } from "./evidence";
import { canonicalTexts, frozenHash, frozenMismatch, recordTampered, tamperedMessage, type FrozenFields } from "./frozen";
import { evaluateGate, formatPct, gatePolicyOf, gateRules, type EvidenceRun } from "./gate";
import {
  approveRequestSchema,
  cancelRequestSchema,
  createRequestSchema,
  rejectRequestSchema,
  type ApproveRequestInput,
  type CancelRequestInput,
  type CreateRequestInput,
  type RejectRequestInput,
  type RequestStatus,
} from "./schemas";

/**
 * Promotion requests (issue 6; DESIGN.md invariants 1, 3 and 4). Every rule
 * lives here, so the pages, the server actions, jobs and tests get the same:
 *
 * - A request is immutable once submitted: target, base pin version, frozen
 *   evidence (summary + SHA-256) and frozen policy. Decisions attach to it.
 *   The database refuses changes to those columns (a trigger), and the
 *   request's frozen hash (lib/promotions/frozen.ts) is recomputed at every
 *   decision: a mismatch refuses it, with a `request.integrity_failed` event.
 * - Nobody decides their own request; each member decides once (unique per
 *   request and user); the approvals needed are the frozen policy's.
 * - Each decision locks the request row (SELECT … FOR UPDATE) first, so
 *   decisions on one request are serialized: two "last" approvals racing
 *   apply the pin at most once, the later one finds the request closed.
 * - Applying: under the lock, the pin row is locked and its version compared
 *   with the request's base version; a moved pin makes the request stale (the
 *   approval is still recorded). Otherwise the pin moves through
 *   applyPinChange (compare-and-set, audit, revision) inside a savepoint, so
 *   a refusal there leaves no partial write and the request becomes stale.
 * - An expired request (expiresAt passed, even before the expiry job ran)
 *   cannot be decided: the attempt marks it expired.
 *
 * Lock order, everywhere: request row → pin row → target model row → audit
 * chain (advisory lock, taken by the first appendAuditEvent). Row locks are
 * never taken after an audit append, so there is no lock cycle with pin
 * changes (pin row → audit) or model retirement (model row → audit).
 */

export type Policy = {
  protected: boolean;
  approvalsRequired: number;
  rejectionBlocks: boolean;
  requestExpiryHours: number | null;
  minAgreementPct: number | null;
  /** The gate's other rules (absent in requests made before they existed). */
  minAnsweredSamples?: number;
  maxErrorPct?: number;
  gateLowerBound?: boolean;
};

export type RequestOutcome = {
  id: string;
  number: number;
  status: RequestStatus;
  approvals: number;
  approvalsRequired: number;
  /** What happened, in words, for the person who acted. */
  message: string;
  /** The pin version the request produced (applied). */
  appliedVersion: number | null;
};

type LockedRequest = FrozenFields & {
  evidenceSummary: unknown;
  policy: Policy;
  status: RequestStatus;
  requestHash: string;
};

type Names = { environment: { id: string; slug: string; name: string }; fn: { id: string; name: string }; target: string };

const TX = { maxWait: 30_000, timeout: 30_000 } as const;

const modelText = (modelId: string | null, nickname?: string | null) => (modelId ? (nickname ? `${nickname} (${modelId})` : modelId) : "latest");

async function lockRequest(tx: Tx, id: string): Promise<LockedRequest> {
  const [row] = await tx.$queryRaw<LockedRequest[]>`
    SELECT id::text, number, function_id AS "functionId", environment_id::text AS "environmentId",
           target_model_ref_id::text AS "targetModelRefId", target_model_id AS "targetModelId",
           base_version AS "baseVersion", base_model_id AS "baseModelId", reason,
           evidence_run_id::text AS "evidenceRunId", evidence_summary AS "evidenceSummary", evidence_hash AS "evidenceHash",
           evidence_summary::text AS "evidenceSummaryText", policy::text AS "policyText", request_hash AS "requestHash",
           policy, approvals_required AS "approvalsRequired", status, requested_by_id::text AS "requestedById",
           requested_by_label AS "requestedByLabel", created_at AS "createdAt", expires_at AS "expiresAt"
    FROM promotion_requests WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError("That promotion request does not exist.");
  return row;
}

async function loadNames(tx: Tx, r: Pick<LockedRequest, "environmentId" | "functionId" | "targetModelRefId" | "targetModelId">): Promise<Names> {
  // One query at a time: a transaction is one connection.
  const environment = await tx.environment.findUniqueOrThrow({ where: { id: r.environmentId }, select: { id: true, slug: true, name: true } });
  const fn = await tx.nyckelFunction.findUniqueOrThrow({ where: { id: r.functionId }, select: { id: true, name: true } });
  const model = r.targetModelRefId ? await tx.model.findUnique({ where: { id: r.targetModelRefId }, select: { nickname: true } }) : null;
  return { environment, fn, target: modelText(r.targetModelId, model?.nickname) };
}

/** The pin row, locked for the rest of the transaction (version 0 = never pinned), and the target model FOR SHARE. */
async function lockPinForApply(tx: Tx, r: Pick<LockedRequest, "environmentId" | "functionId" | "targetModelRefId">): Promise<{ version: number }> {
  const [pin] = await tx.$queryRaw<{ version: number }[]>`
    SELECT version FROM pins WHERE environment_id = ${r.environmentId}::uuid AND function_id = ${r.functionId} FOR UPDATE`;
  if (r.targetModelRefId) await tx.$queryRaw`SELECT id FROM models WHERE id = ${r.targetModelRefId}::uuid FOR SHARE`;
  return { version: pin?.version ?? 0 };
}

function webhookData(r: Pick<LockedRequest, "id" | "number" | "reason" | "targetModelId" | "baseVersion" | "baseModelId" | "requestedByLabel" | "evidenceHash">, names: Names, extra: Record<string, unknown>) {
  return {
    request: { id: r.id, number: r.number, reason: r.reason, requestedBy: r.requestedByLabel },
    function: { id: names.fn.id, name: names.fn.name },
    environment: { id: names.environment.id, slug: names.environment.slug, name: names.environment.name },
    target: { modelId: r.targetModelId, label: names.target },
    base: { version: r.baseVersion, modelId: r.baseModelId },
    evidenceHash: r.evidenceHash,
    ...extra,
  };
}

async function record(
  tx: Tx,
  ctx: { actor: AuditActor; requestId: string },
  r: LockedRequest,
  names: Names,
  event: { action: string; webhook?: WebhookEventType; before?: unknown; after: Record<string, unknown>; reason?: string | null },
) {
  await appendAuditEvent(tx, {
    actor: ctx.actor,
    action: event.action,
    functionId: r.functionId,
    environmentId: r.environmentId,
    targetType: "promotion_request",
    targetId: r.id,
    before: event.before,
    after: { request: `#${r.number}`, ...event.after },
    reason: event.reason ?? null,
    requestId: ctx.requestId,
  });
  if (event.webhook) {
    await emitWebhookEvent(tx, {
      type: event.webhook,
      functionId: r.functionId,
      environmentId: r.environmentId,
      data: webhookData(r, names, { actor: ctx.actor.label, ...event.after }),
    });
  }
}

async function close(tx: Tx, id: string, status: RequestStatus, statusReason: string | null, appliedVersion: number | null = null) {
  await tx.promotionRequest.update({ where: { id }, data: { status, statusReason, closedAt: new Date(), appliedVersion } });
}

function outcome(r: LockedRequest, status: RequestStatus, approvals: number, message: string, appliedVersion: number | null = null): RequestOutcome {
  return { id: r.id, number: r.number, status, approvals, approvalsRequired: r.approvalsRequired, message, appliedVersion };
}

async function countApprovals(tx: Tx, requestId: string): Promise<number> {
  return tx.promotionDecision.count({ where: { requestId, decision: "approve" } });
}

function staleReason(names: Names, baseVersion: number, currentVersion: number): string {
  return `The pin of ${names.environment.name} moved from version ${baseVersion} to ${currentVersion} since the request was made, so the approvals no longer describe it. Request again from the current pin.`;
}

async function markStale(tx: Tx, ctx: ServiceContext, r: LockedRequest, names: Names, reason: string, currentVersion: number) {
  await close(tx, r.id, "stale", reason);
  await record(tx, ctx, r, names, {
    action: "request.stale",
    webhook: "request.stale",
    before: { status: "pending" },
    after: { status: "stale", baseVersion: r.baseVersion, currentVersion },
    reason,
  });
}

/**
 * Moves the pin for an approved request, or marks it stale when the pin moved
 * since the request was made (or the pin service refuses the change). The
 * caller holds the request lock and has called lockPinForApply.
 */
async function applyApproved(tx: Tx, ctx: ServiceContext, r: LockedRequest, names: Names, pinVersion: number, approvals: number): Promise<RequestOutcome> {
  // The row as stored, hashed once more right before the pin moves (this transaction holds its lock).
  if (tampering(await lockRequest(tx, r.id))) throw new ConflictError(tamperedMessage(r.number));
  if (pinVersion !== r.baseVersion) {
    const reason = staleReason(names, r.baseVersion, pinVersion);
    await markStale(tx, ctx, r, names, reason, pinVersion);
    return outcome(r, "stale", approvals, `Request #${r.number} is stale and was not applied. ${reason}`);
  }
  // A savepoint: if the pin service refuses, nothing it did survives, and the request still closes as stale.
  await tx.$executeRaw`SAVEPOINT promotion_apply`;
  let change: Awaited<ReturnType<typeof applyPinChange>>;
  try {
    change = await applyPinChange(
      tx,
      ctx,
      {
        environmentId: r.environmentId,
        functionId: r.functionId,
        modelRefId: r.targetModelRefId,
        expectedVersion: r.baseVersion,
        reason: r.reason,
        kind: r.targetModelRefId ? "pin" : "unpin",
        breakGlass: false,
      },
      { promotionRequest: { id: r.id, number: r.number } },
    );
  } catch (e) {
    if (!isExpectedError(e) || e instanceof ForbiddenError) throw e;
    await tx.$executeRaw`ROLLBACK TO SAVEPOINT promotion_apply`;
    const [pin] = await tx.$queryRaw<{ version: number }[]>`
      SELECT version FROM pins WHERE environment_id = ${r.environmentId}::uuid AND function_id = ${r.functionId}`;
    const reason = `The pin could not be moved: ${e.message}`;
    await markStale(tx, ctx, r, names, reason, pin?.version ?? 0);
    return outcome(r, "stale", approvals, `Request #${r.number} is stale and was not applied. ${reason}`);
  }
  await tx.$executeRaw`RELEASE SAVEPOINT promotion_apply`;
  await close(tx, r.id, "applied", null, change.after.version);
  await record(tx, ctx, r, names, {
    action: "request.applied",
    webhook: "request.applied",
    before: { status: "pending", pinVersion: r.baseVersion },
    after: { status: "applied", pinVersion: change.after.version, modelId: r.targetModelId, auditEventId: change.auditEventId },
    reason: r.reason,
  });
  return outcome(
    r,
    "applied",
    approvals,
    `Request #${r.number} is applied: ${names.environment.name} is now ${r.targetModelId ? `pinned to ${names.target}` : "on latest (not pinned)"} (version ${change.after.version}).`,
    change.after.version,
  );
}

/** Expires a locked pending request whose time is up (by the job, or by a decision that came too late). */
async function markExpired(tx: Tx, ctx: { actor: AuditActor; requestId: string }, r: LockedRequest, now: Date): Promise<void> {
  const names = await loadNames(tx, r);
  const approvals = await countApprovals(tx, r.id);
  const reason = `Expired at ${r.expiresAt!.toISOString().slice(0, 16).replace("T", " ")} UTC with ${approvals} of ${r.approvalsRequired} approval${r.approvalsRequired === 1 ? "" : "s"} (requests in ${names.environment.name} expire after ${r.policy.requestExpiryHours} h).`;
  await close(tx, r.id, "expired", reason);
  await record(tx, ctx, r, names, {
    action: "request.expired",
    webhook: "request.expired",
    before: { status: "pending" },
    after: { status: "expired", expiresAt: r.expiresAt!.toISOString(), approvals, checkedAt: now.toISOString() },
    reason,
  });
}

const isExpired = (r: LockedRequest, now: Date) => r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime();

function closedMessage(r: LockedRequest): string {
  return `Request #${r.number} is ${r.status}; it can no longer be decided.`;
}

// ---------------------------------------------------------------------------
// Create

type EvidenceCandidate = {
  run: EvidenceRun & { sampleSet: { id: string; name: string }; modelALabel: string; modelBLabel: string; total: number };
  report: Awaited<ReturnType<typeof getRunReport>> | null;
};

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

/**
 * Opens a promotion request. Applies it at once when the environment needs
 * no approvals (the evidence gate still applies).
 */
export async function createRequest(ctx: ServiceContext, raw: CreateRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:create");
  const input = parseInput(createRequestSchema, raw);
  const evidence = input.evidenceRunId ? await loadEvidence(input.evidenceRunId) : null;

  return prisma.$transaction(async (tx) => {
    const now = new Date();
    const environment = await tx.environment.findUnique({
      where: { id: input.environmentId },
      select: { id: true, slug: true, name: true, protected: true, approvalsRequired: true, rejectionBlocks: true, requestExpiryHours: true, minAgreementPct: true, minAnsweredSamples: true, maxErrorPct: true, gateLowerBound: true },
    });
    if (!environment) throw new NotFoundError("That environment does not exist.", { environmentId: ["Unknown environment."] });
    const fn = await tx.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true, name: true } });
    if (!fn) throw new NotFoundError("That function does not exist.");

    let target: { id: string; modelId: string; nickname: string } | null = null;
    if (input.targetModelRefId) {
      const m = await tx.model.findFirst({ where: { id: input.targetModelRefId, functionId: fn.id }, select: { id: true, modelId: true, nickname: true, retiredAt: true } });
      if (!m) throw new NotFoundError("That model is not registered for this function.", { targetModelRefId: ["Unknown model."] });
      if (m.retiredAt) throw new InvalidInputError(`${modelText(m.modelId, m.nickname)} is retired and cannot be requested.`, { targetModelRefId: ["Retired."] });
      target = { id: m.id, modelId: m.modelId, nickname: m.nickname };
    }
    const targetText = modelText(target?.modelId ?? null, target?.nickname);

    // Zero approvals: the request applies now, so take the pin and model locks before anything else (see lock order).
    const applyNow = environment.approvalsRequired === 0;
    const lockedPin = applyNow
      ? await lockPinForApply(tx, { environmentId: environment.id, functionId: fn.id, targetModelRefId: target?.id ?? null })
      : null;
    const pin = await tx.pin.findUnique({
      where: { environmentId_functionId: { environmentId: environment.id, functionId: fn.id } },
      select: { version: true, model: { select: { id: true, modelId: true, nickname: true } } },
    });
    const baseVersion = lockedPin?.version ?? pin?.version ?? 0;
    const base = pin?.model ?? null;
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
    if (!verdict.ok) throw new InvalidInputError(verdict.message, { evidenceRunId: [verdict.message] });
    let summary: EvidenceSummary | null = null;
    if (evidence?.report && evidence.run.finishedAt) {
      const currentSide = evidence.run.modelA === (base?.modelId ?? null) && evidence.run.modelB === (target?.modelId ?? null) ? "a" : "b";
      summary = buildEvidenceSummary(
        { ...evidence.run, finishedAt: new Date(evidence.run.finishedAt) },
        evidence.report,
        currentSide,
        { minAgreementPct: environment.minAgreementPct, passed: true, ...(gatePolicy.minAgreementPct === null ? {} : { rules: gateRules(gatePolicy) }) },
      );
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
      evidenceRunId: summary ? evidence!.run.id : null,
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
      approvalsRequired: policy.approvalsRequired,
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
        evidenceSummary: summary ?? undefined,
        evidenceHash: hash,
        policy,
        approvalsRequired: policy.approvalsRequired,
        status: "pending",
        requestedById: ctx.actor.id,
        requestedByLabel: ctx.actor.label,
        createdAt: now,
        expiresAt: frozen.expiresAt,
        requestHash,
      },
      select: { id: true },
    });
    const r: LockedRequest = { ...frozen, evidenceSummary: summary, policy, status: "pending", requestHash };
    const names: Names = { environment: { id: environment.id, slug: environment.slug, name: environment.name }, fn, target: targetText };
    await record(tx, ctx, r, names, {
      action: "request.opened",
      webhook: "request.opened",
      after: {
        status: "pending",
        target: { modelId: target?.modelId ?? null, nickname: target?.nickname ?? null },
        base: { version: baseVersion, modelId: base?.modelId ?? null, nickname: base?.nickname ?? null },
        evidence: summary ? { runId: summary.runId, agreement: summary.agreement.rate, n: summary.agreement.n, hash } : null,
        policy,
        expiresAt: frozen.expiresAt?.toISOString() ?? null,
        requestHash,
      },
      reason: input.reason,
    });

    if (applyNow) return applyApproved(tx, ctx, r, names, lockedPin!.version, 0);
    const evidenceText = summary?.agreement.rate != null ? ` Evidence: ${formatPct(summary.agreement.rate)} agreement on ${summary.agreement.n} samples.` : "";
    return outcome(
      r,
      "pending",
      0,
      `Requested #${r.number}: move ${environment.name} to ${targetText}. It needs ${policy.approvalsRequired} approval${policy.approvalsRequired === 1 ? "" : "s"} from others.${evidenceText}`,
    );
  }, TX);
}

// ---------------------------------------------------------------------------
// Decide

/** How a decision's transaction ended; "expired" and "refused" commit their audit event, then throw. */
type Decided = { kind: "done"; outcome: RequestOutcome } | { kind: "expired"; number: number; expiresAt: Date } | { kind: "refused"; message: string };

/** The frozen hash and the evidence hash, recomputed from the locked row: null when both hold. */
function tampering(r: LockedRequest): { stored: string; actual: string } | null {
  const mismatch = frozenMismatch(r);
  if (mismatch) return mismatch;
  if (r.evidenceSummary !== null && evidenceHash(r.evidenceSummary) !== r.evidenceHash) {
    return { stored: r.evidenceHash ?? "(none)", actual: evidenceHash(r.evidenceSummary) };
  }
  return null;
}

/** Shared start of approve and reject: lock, then the rules every decision obeys. */
async function beginDecision(tx: Tx, ctx: ServiceContext, requestId: string, now: Date, decision: "approve" | "reject"): Promise<{ r: LockedRequest; stop: Decided | null }> {
  const r = await lockRequest(tx, requestId);
  if (r.requestedById !== null && r.requestedById === ctx.actor.id) {
    throw new ForbiddenError("You made this request, so you cannot decide it: someone else must approve or reject it. You can cancel it.");
  }
  if (r.status !== "pending") throw new ConflictError(closedMessage(r));
  // Before anything else is read from the row (its expiry included): a changed request is decided on nothing.
  const mismatch = tampering(r);
  if (mismatch) return { r, stop: { kind: "refused", message: await recordTampered(tx, ctx, r, decision, mismatch) } };
  if (isExpired(r, now)) {
    await markExpired(tx, { actor: SYSTEM_ACTOR, requestId: ctx.requestId }, r, now);
    return { r, stop: { kind: "expired", number: r.number, expiresAt: r.expiresAt! } };
  }
  const mine = await tx.promotionDecision.findUnique({ where: { requestId_userId: { requestId: r.id, userId: ctx.actor.id! } }, select: { decision: true } });
  if (mine) throw new ConflictError(alreadyDecided(mine.decision));
  return { r, stop: null };
}

function alreadyDecided(decision: string): string {
  return `You already ${decision === "approve" ? "approved" : "rejected"} this request; each member decides once.`;
}

async function insertDecision(tx: Tx, ctx: ServiceContext, r: LockedRequest, decision: "approve" | "reject", comment: string) {
  try {
    await tx.promotionDecision.create({ data: { requestId: r.id, userId: ctx.actor.id!, userLabel: ctx.actor.label, decision, comment } });
  } catch (e) {
    // Unreachable while the request row is locked; kept so a duplicate can never count twice.
    if (isUniqueViolation(e)) throw new ConflictError(alreadyDecided(decision));
    throw e;
  }
}

function requireMember(ctx: ServiceContext) {
  if (!ctx.actor.id) throw new ForbiddenError("Only a member can decide a promotion request.");
}

async function finishDecision(work: () => Promise<Decided>): Promise<RequestOutcome> {
  const result = await work();
  if (result.kind === "refused") throw new ConflictError(result.message);
  if (result.kind === "expired") {
    throw new ConflictError(
      `Request #${result.number} expired at ${result.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC and can no longer be decided. It is now marked expired.`,
    );
  }
  return result.outcome;
}

/**
 * Approves a request. When this is the last approval the policy needs, the
 * pin moves in the same transaction (or the request becomes stale).
 */
export async function approveRequest(ctx: ServiceContext, raw: ApproveRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:decide");
  requireMember(ctx);
  const input = parseInput(approveRequestSchema, raw);
  return finishDecision(() =>
    prisma.$transaction(async (tx): Promise<Decided> => {
      const now = new Date();
      const { r, stop } = await beginDecision(tx, ctx, input.requestId, now, "approve");
      if (stop) return stop;
      await insertDecision(tx, ctx, r, "approve", input.comment);
      const approvals = await countApprovals(tx, r.id);
      const last = approvals >= r.approvalsRequired;
      // Locks before the first audit append (lock order); a non-final approval only reads the pin.
      const pin = last
        ? await lockPinForApply(tx, r)
        : ((await tx.pin.findUnique({ where: { environmentId_functionId: { environmentId: r.environmentId, functionId: r.functionId } }, select: { version: true } })) ?? { version: 0 });
      const names = await loadNames(tx, r);
      await record(tx, ctx, r, names, {
        action: "request.approved",
        webhook: "request.approved",
        after: {
          decision: "approve",
          approvals,
          approvalsRequired: r.approvalsRequired,
          // What exactly was approved (invariant 3).
          targetModelId: r.targetModelId,
          baseVersion: r.baseVersion,
          evidenceHash: r.evidenceHash,
          requestHash: r.requestHash,
          comment: input.comment || null,
        },
        reason: input.comment || null,
      });
      if (last) return { kind: "done", outcome: await applyApproved(tx, ctx, r, names, pin.version, approvals) };
      if (pin.version !== r.baseVersion) {
        // The pin moved: this request can never apply as approved. Say so now rather than at the last approval.
        const reason = staleReason(names, r.baseVersion, pin.version);
        await markStale(tx, ctx, r, names, reason, pin.version);
        return { kind: "done", outcome: outcome(r, "stale", approvals, `Your approval is recorded, but request #${r.number} is stale. ${reason}`) };
      }
      const left = r.approvalsRequired - approvals;
      return {
        kind: "done",
        outcome: outcome(r, "pending", approvals, `Approved request #${r.number} (${approvals} of ${r.approvalsRequired}); ${left} more approval${left === 1 ? "" : "s"} needed.`),
      };
    }, TX),
  );
}

/** Rejects a request (a comment is required). Under a blocking policy the request ends; otherwise the rejection is recorded. */
export async function rejectRequest(ctx: ServiceContext, raw: RejectRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:decide");
  requireMember(ctx);
  const input = parseInput(rejectRequestSchema, raw);
  return finishDecision(() =>
    prisma.$transaction(async (tx): Promise<Decided> => {
      const now = new Date();
      const { r, stop } = await beginDecision(tx, ctx, input.requestId, now, "reject");
      if (stop) return stop;
      await insertDecision(tx, ctx, r, "reject", input.comment);
      const approvals = await countApprovals(tx, r.id);
      const names = await loadNames(tx, r);
      const blocking = r.policy.rejectionBlocks;
      if (blocking) await close(tx, r.id, "rejected", `Rejected by ${ctx.actor.label}: ${input.comment}`);
      await record(tx, ctx, r, names, {
        action: "request.rejected",
        webhook: "request.rejected",
        before: blocking ? { status: "pending" } : undefined,
        after: { decision: "reject", blocking, status: blocking ? "rejected" : "pending", approvals, approvalsRequired: r.approvalsRequired, comment: input.comment },
        reason: input.comment,
      });
      return {
        kind: "done",
        outcome: blocking
          ? outcome(r, "rejected", approvals, `Rejected request #${r.number}; it is closed.`)
          : outcome(r, "pending", approvals, `Your rejection of request #${r.number} is recorded. In ${names.environment.name} a rejection does not end a request, so it stays open.`),
      };
    }, TX),
  );
}

/** Cancels a pending request: its requester, or an admin (who manages the environments and their policies). */
export async function cancelRequest(ctx: ServiceContext, raw: CancelRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:read");
  const input = parseInput(cancelRequestSchema, raw);
  const result = await prisma.$transaction(async (tx): Promise<Decided> => {
    const now = new Date();
    const r = await lockRequest(tx, input.requestId);
    const own = r.requestedById !== null && r.requestedById === ctx.actor.id;
    if (!own && !can(ctx.actor.role, "environments:manage")) {
      throw new ForbiddenError("Only the member who made this request, or an admin, can cancel it.");
    }
    if (r.status !== "pending") throw new ConflictError(`Request #${r.number} is ${r.status}; only a pending request can be cancelled.`);
    if (isExpired(r, now)) {
      await markExpired(tx, { actor: SYSTEM_ACTOR, requestId: ctx.requestId }, r, now);
      return { kind: "expired", number: r.number, expiresAt: r.expiresAt! };
    }
    const names = await loadNames(tx, r);
    const reason = input.comment || (own ? "Cancelled by the requester." : `Cancelled by ${ctx.actor.label} (admin).`);
    await close(tx, r.id, "cancelled", reason);
    await record(tx, ctx, r, names, { action: "request.cancelled", before: { status: "pending" }, after: { status: "cancelled", byRequester: own }, reason });
    return { kind: "done", outcome: outcome(r, "cancelled", await countApprovals(tx, r.id), `Cancelled request #${r.number}.`) };
  }, TX);
  if (result.kind === "refused") throw new ConflictError(result.message);
  if (result.kind === "expired") throw new ConflictError(`Request #${result.number} had already expired; it is now marked expired.`);
  return result.outcome;
}

// ---------------------------------------------------------------------------
// Expiry (the scheduled job)

/**
 * Expires every pending request whose expiry time has passed: each in its own
 * transaction (status, audit event, webhook event), skipping one that a
 * decision holds right now (the next run, or that decision, handles it).
 */
export async function expireDueRequests(now: Date = new Date(), options: { requestId?: string; limit?: number } = {}): Promise<{ expired: number[] }> {
  const due = await prisma.promotionRequest.findMany({
    where: { status: "pending", expiresAt: { lte: now } },
    orderBy: { expiresAt: "asc" },
    take: options.limit ?? 500,
    select: { id: true },
  });
  const ctx = { actor: SYSTEM_ACTOR, requestId: options.requestId ?? newRequestId() };
  const expired: number[] = [];
  for (const { id } of due) {
    const number = await prisma.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM promotion_requests WHERE id = ${id}::uuid FOR UPDATE SKIP LOCKED`;
      if (!locked) return null;
      const r = await lockRequest(tx, id);
      if (r.status !== "pending" || !isExpired(r, now)) return null;
      await markExpired(tx, ctx, r, now);
      return r.number;
    }, TX);
    if (number !== null) expired.push(number);
  }
  return { expired };
}
