import "server-only";
import type { AuditAction } from "@/lib/audit/catalog";
import { appendAuditEvent, type AuditActor } from "@/lib/audit/service";
import type { ServiceContext } from "@/lib/context";
import type { Tx } from "@/lib/db/client";
import { ConflictError, ForbiddenError, NotFoundError, isExpectedError } from "@/lib/errors";
import { modelLabel } from "@/lib/models/label";
import { findModelRef } from "@/lib/models/queries";
import { currentPin } from "@/lib/pins/locks";
import { applyPinChange } from "@/lib/pins/service";
import { emitWebhookEvent, type WebhookEventType } from "@/lib/webhooks/emit";
import { promotionApproval } from "./approval";
import { evidenceHash } from "./evidence";
import { frozenMismatch, tamperedMessage, type FrozenFields } from "./frozen";
import type { Policy, RequestStatus } from "./schemas";

/**
 * What creating and deciding promotion requests share (lib/promotions/service.ts
 * has the rules; the lock order is in lib/pins/locks.ts): the locked row, its names, the audit and
 * webhook record of each step, closing, applying and expiring.
 */

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

export type LockedRequest = FrozenFields & {
  evidenceSummary: unknown;
  policy: Policy;
  status: RequestStatus;
  requestHash: string;
  /** The API token that opened it (lib/automation), which may cancel it; not part of the frozen hash. */
  requestedByTokenId?: string | null;
};

export type Names = { environment: { id: string; slug: string; name: string }; fn: { id: string; name: string }; target: string };

export const TX = { maxWait: 30_000, timeout: 30_000 } as const;

/** The request row FOR UPDATE: the first step of the lock order (lib/pins/locks.ts). */
export async function lockRequest(tx: Tx, id: string): Promise<LockedRequest> {
  const [row] = await tx.$queryRaw<LockedRequest[]>`
    SELECT id::text, number, function_id AS "functionId", environment_id::text AS "environmentId",
           target_model_ref_id::text AS "targetModelRefId", target_model_id AS "targetModelId",
           base_version AS "baseVersion", base_model_id AS "baseModelId", reason,
           evidence_run_id::text AS "evidenceRunId", evidence_summary AS "evidenceSummary", evidence_hash AS "evidenceHash",
           evidence_summary::text AS "evidenceSummaryText", policy::text AS "policyText", request_hash AS "requestHash",
           policy, approvals_required AS "approvalsRequired", status, requested_by_id::text AS "requestedById",
           requested_by_label AS "requestedByLabel", created_at AS "createdAt", expires_at AS "expiresAt",
           requested_by_token_id::text AS "requestedByTokenId"
    FROM promotion_requests WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError("That promotion request does not exist.");
  return row;
}

export async function loadNames(tx: Tx, r: Pick<LockedRequest, "environmentId" | "functionId" | "targetModelRefId" | "targetModelId">): Promise<Names> {
  // One query at a time: a transaction is one connection.
  const environment = await tx.environment.findUniqueOrThrow({ where: { id: r.environmentId }, select: { id: true, slug: true, name: true } });
  const fn = await tx.nyckelFunction.findUniqueOrThrow({ where: { id: r.functionId }, select: { id: true, name: true } });
  const model = r.targetModelRefId ? await findModelRef(tx, r.targetModelRefId) : null;
  return { environment, fn, target: modelLabel({ modelId: r.targetModelId, nickname: model?.nickname }) };
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

/** The audit event of one step of a request and, when `webhook` is set, its webhook event (same transaction). */
export async function recordRequestEvent(
  tx: Tx,
  ctx: { actor: AuditActor; requestId: string },
  r: LockedRequest,
  names: Names,
  event: { action: AuditAction; webhook?: WebhookEventType; before?: unknown; after: Record<string, unknown>; reason?: string | null },
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

/** Ends a request: its final status, why, when, and the pin version it produced (applied). */
export async function closeRequest(tx: Tx, id: string, status: RequestStatus, statusReason: string | null, appliedVersion: number | null = null) {
  await tx.promotionRequest.update({ where: { id }, data: { status, statusReason, closedAt: new Date(), appliedVersion } });
}

/** What a create or decision returns to the person who acted. */
export function requestOutcome(r: LockedRequest, status: RequestStatus, approvals: number, message: string, appliedVersion: number | null = null): RequestOutcome {
  return { id: r.id, number: r.number, status, approvals, approvalsRequired: r.approvalsRequired, message, appliedVersion };
}

export async function countApprovals(tx: Tx, requestId: string): Promise<number> {
  return tx.promotionDecision.count({ where: { requestId, decision: "approve" } });
}

export function staleReason(names: Names, baseVersion: number, currentVersion: number): string {
  return `The pin of ${names.environment.name} moved from version ${baseVersion} to ${currentVersion} since the request was made, so the approvals no longer describe it. Request again from the current pin.`;
}

export async function markStale(tx: Tx, ctx: ServiceContext, r: LockedRequest, names: Names, reason: string, currentVersion: number) {
  await closeRequest(tx, r.id, "stale", reason);
  await recordRequestEvent(tx, ctx, r, names, {
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
 * caller holds the request lock and has called lockPinAndTarget (lib/pins/locks.ts).
 */
export async function applyApproved(tx: Tx, ctx: ServiceContext, r: LockedRequest, names: Names, pinVersion: number, approvals: number): Promise<RequestOutcome> {
  // The row as stored, hashed once more right before the pin moves (this transaction holds its lock).
  if (tampering(await lockRequest(tx, r.id))) throw new ConflictError(tamperedMessage(r.number));
  if (pinVersion !== r.baseVersion) {
    const reason = staleReason(names, r.baseVersion, pinVersion);
    await markStale(tx, ctx, r, names, reason, pinVersion);
    return requestOutcome(r, "stale", approvals, `Request #${r.number} is stale and was not applied. ${reason}`);
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
      { promotionRequest: promotionApproval(r) },
    );
  } catch (e) {
    if (!isExpectedError(e) || e instanceof ForbiddenError) throw e;
    await tx.$executeRaw`ROLLBACK TO SAVEPOINT promotion_apply`;
    const pin = await currentPin(tx, r);
    const reason = `The pin could not be moved: ${e.message}`;
    await markStale(tx, ctx, r, names, reason, pin.version);
    return requestOutcome(r, "stale", approvals, `Request #${r.number} is stale and was not applied. ${reason}`);
  }
  await tx.$executeRaw`RELEASE SAVEPOINT promotion_apply`;
  await closeRequest(tx, r.id, "applied", null, change.after.version);
  await recordRequestEvent(tx, ctx, r, names, {
    action: "request.applied",
    webhook: "request.applied",
    before: { status: "pending", pinVersion: r.baseVersion },
    after: { status: "applied", pinVersion: change.after.version, modelId: r.targetModelId, auditEventId: change.auditEventId },
    reason: r.reason,
  });
  return requestOutcome(
    r,
    "applied",
    approvals,
    `Request #${r.number} is applied: ${names.environment.name} is now ${r.targetModelId ? `pinned to ${names.target}` : "on latest (not pinned)"} (version ${change.after.version}).`,
    change.after.version,
  );
}

/** Expires a locked pending request whose time is up (by the job, or by a decision that came too late). */
export async function markExpired(tx: Tx, ctx: { actor: AuditActor; requestId: string }, r: LockedRequest, now: Date): Promise<void> {
  const names = await loadNames(tx, r);
  const approvals = await countApprovals(tx, r.id);
  const reason = `Expired at ${r.expiresAt!.toISOString().slice(0, 16).replace("T", " ")} UTC with ${approvals} of ${r.approvalsRequired} approval${r.approvalsRequired === 1 ? "" : "s"} (requests in ${names.environment.name} expire after ${r.policy.requestExpiryHours} h).`;
  await closeRequest(tx, r.id, "expired", reason);
  await recordRequestEvent(tx, ctx, r, names, {
    action: "request.expired",
    webhook: "request.expired",
    before: { status: "pending" },
    after: { status: "expired", expiresAt: r.expiresAt!.toISOString(), approvals, checkedAt: now.toISOString() },
    reason,
  });
}

export const isExpired = (r: LockedRequest, now: Date) => r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime();

export function closedMessage(r: LockedRequest): string {
  return `Request #${r.number} is ${r.status}; it can no longer be decided.`;
}

/** The frozen hash and the evidence hash, recomputed from the locked row: null when both hold. */
export function tampering(r: LockedRequest): { stored: string; actual: string } | null {
  const mismatch = frozenMismatch(r);
  if (mismatch) return mismatch;
  if (r.evidenceSummary !== null && evidenceHash(r.evidenceSummary) !== r.evidenceHash) {
    return { stored: r.evidenceHash ?? "(none)", actual: evidenceHash(r.evidenceSummary) };
  }
  return null;
}
