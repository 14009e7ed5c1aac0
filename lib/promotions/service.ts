import "server-only";
import { SYSTEM_ACTOR } from "@/lib/audit/service";
import { can } from "@/lib/auth/permissions";
import { authorize, newRequestId, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, ForbiddenError, isUniqueViolation } from "@/lib/errors";
import { currentPin, lockPinAndTarget } from "@/lib/pins/locks";
import { parseInput } from "@/lib/validation";
import { recordTampered } from "./frozen";
import {
  TX,
  applyApproved,
  closeRequest,
  closedMessage,
  countApprovals,
  isExpired,
  loadNames,
  lockRequest,
  markExpired,
  markStale,
  recordRequestEvent,
  requestOutcome,
  staleReason,
  tampering,
  type LockedRequest,
  type RequestOutcome,
} from "./request-core";
import {
  approveRequestSchema,
  cancelRequestSchema,
  rejectRequestSchema,
  type ApproveRequestInput,
  type CancelRequestInput,
  type RejectRequestInput,
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
 * chain; it is written down, with the functions that take each lock, in
 * lib/pins/locks.ts.
 */

export { createRequest } from "./create";
export type { RequestOutcome } from "./request-core";

// ---------------------------------------------------------------------------
// Decide

/** How a decision's transaction ended; "expired" and "refused" commit their audit event, then throw. */
type Decided = { kind: "done"; outcome: RequestOutcome } | { kind: "expired"; number: number; expiresAt: Date } | { kind: "refused"; message: string };

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
 * One decision, in one transaction: the request locked and checked
 * (beginDecision), the decision inserted, the approvals counted, then `then`
 * (what approving or rejecting does). The caller has authorized and parsed.
 */
async function decide(
  ctx: ServiceContext,
  input: { requestId: string; comment: string },
  decision: "approve" | "reject",
  then: (tx: Tx, r: LockedRequest, approvals: number) => Promise<RequestOutcome>,
): Promise<RequestOutcome> {
  return finishDecision(() =>
    prisma.$transaction(async (tx): Promise<Decided> => {
      const { r, stop } = await beginDecision(tx, ctx, input.requestId, new Date(), decision);
      if (stop) return stop;
      await insertDecision(tx, ctx, r, decision, input.comment);
      return { kind: "done", outcome: await then(tx, r, await countApprovals(tx, r.id)) };
    }, TX),
  );
}

/**
 * Approves a request. When this is the last approval the policy needs, the
 * pin moves in the same transaction (or the request becomes stale).
 */
export async function approveRequest(ctx: ServiceContext, raw: ApproveRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:decide");
  requireMember(ctx);
  const input = parseInput(approveRequestSchema, raw);
  return decide(ctx, input, "approve", async (tx, r, approvals) => {
      const last = approvals >= r.approvalsRequired;
      // Locks before the first audit append (lock order); a non-final approval only reads the pin.
      const pin = last ? await lockPinAndTarget(tx, r, r.targetModelRefId) : await currentPin(tx, r);
      const names = await loadNames(tx, r);
      await recordRequestEvent(tx, ctx, r, names, {
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
      if (last) return applyApproved(tx, ctx, r, names, pin.version, approvals);
      if (pin.version !== r.baseVersion) {
        // The pin moved: this request can never apply as approved. Say so now rather than at the last approval.
        const reason = staleReason(names, r.baseVersion, pin.version);
        await markStale(tx, ctx, r, names, reason, pin.version);
        return requestOutcome(r, "stale", approvals, `Your approval is recorded, but request #${r.number} is stale. ${reason}`);
      }
      const left = r.approvalsRequired - approvals;
      return requestOutcome(r, "pending", approvals, `Approved request #${r.number} (${approvals} of ${r.approvalsRequired}); ${left} more approval${left === 1 ? "" : "s"} needed.`);
  });
}

/** Rejects a request (a comment is required). Under a blocking policy the request ends; otherwise the rejection is recorded. */
export async function rejectRequest(ctx: ServiceContext, raw: RejectRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:decide");
  requireMember(ctx);
  const input = parseInput(rejectRequestSchema, raw);
  return decide(ctx, input, "reject", async (tx, r, approvals) => {
      const names = await loadNames(tx, r);
      const blocking = r.policy.rejectionBlocks;
      if (blocking) await closeRequest(tx, r.id, "rejected", `Rejected by ${ctx.actor.label}: ${input.comment}`);
      await recordRequestEvent(tx, ctx, r, names, {
        action: "request.rejected",
        webhook: "request.rejected",
        before: blocking ? { status: "pending" } : undefined,
        after: { decision: "reject", blocking, status: blocking ? "rejected" : "pending", approvals, approvalsRequired: r.approvalsRequired, comment: input.comment },
        reason: input.comment,
      });
      return blocking
        ? requestOutcome(r, "rejected", approvals, `Rejected request #${r.number}; it is closed.`)
        : requestOutcome(r, "pending", approvals, `Your rejection of request #${r.number} is recorded. In ${names.environment.name} a rejection does not end a request, so it stays open.`);
  });
}

/** Cancels a pending request: its requester, or an admin (who manages the environments and their policies). */
export async function cancelRequest(ctx: ServiceContext, raw: CancelRequestInput): Promise<RequestOutcome> {
  authorize(ctx, "requests:read");
  const input = parseInput(cancelRequestSchema, raw);
  const result = await prisma.$transaction(async (tx): Promise<Decided> => {
    const now = new Date();
    const r = await lockRequest(tx, input.requestId);
    const own = (r.requestedById !== null && r.requestedById === ctx.actor.id) || (Boolean(ctx.actor.tokenId) && r.requestedByTokenId === ctx.actor.tokenId);
    if (!own && !can(ctx.actor.role, "environments:manage")) {
      throw new ForbiddenError(
        ctx.actor.tokenId ? "A token may cancel only the requests it opened itself." : "Only the member who made this request, or an admin, can cancel it.",
      );
    }
    if (r.status !== "pending") throw new ConflictError(`Request #${r.number} is ${r.status}; only a pending request can be cancelled.`);
    if (isExpired(r, now)) {
      await markExpired(tx, { actor: SYSTEM_ACTOR, requestId: ctx.requestId }, r, now);
      return { kind: "expired", number: r.number, expiresAt: r.expiresAt! };
    }
    const names = await loadNames(tx, r);
    const reason = input.comment || (own ? "Cancelled by the requester." : `Cancelled by ${ctx.actor.label} (admin).`);
    await closeRequest(tx, r.id, "cancelled", reason);
    await recordRequestEvent(tx, ctx, r, names, { action: "request.cancelled", before: { status: "pending" }, after: { status: "cancelled", byRequester: own }, reason });
    return { kind: "done", outcome: requestOutcome(r, "cancelled", await countApprovals(tx, r.id), `Cancelled request #${r.number}.`) };
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
