import "server-only";
import type { AuditAction } from "@/lib/audit/catalog";
import { appendAuditEvent } from "@/lib/audit/service";
import { can } from "@/lib/auth/permissions";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from "@/lib/errors";
import { modelLabel } from "@/lib/models/label";
import { requirePinnableModel } from "@/lib/models/pinnable";
import { parseInput } from "@/lib/validation";
import { emitWebhookEvent } from "@/lib/webhooks/emit";
import { setPinSchema, type PinKind, type SetPinInput } from "./schemas";

/**
 * THE ONLY CODE THAT WRITES PINS (DESIGN.md invariant 1).
 *
 * A pin change, in one transaction: permission and environment policy →
 * target model checks (registered for this function, not retired:
 * lib/models/pinnable.ts) →
 * compare-and-set of the pin's version → the audit event → a pin_revisions
 * row (the history behind the timeline, rollback and point-in-time reads).
 *
 * Compare-and-set: the caller states the version it saw.
 *   - version 0 (no row yet, "latest"): INSERT … ON CONFLICT DO NOTHING;
 *     a concurrent first pin makes the insert return no row → conflict.
 *   - version N: UPDATE … WHERE version = N; a concurrent writer holds the
 *     row lock, and once it commits the WHERE no longer matches → conflict.
 * Exactly one of any number of writers from the same version wins; the others
 * get CONFLICT_MESSAGE and their transaction (with nothing written) rolls back.
 */

export const CONFLICT_MESSAGE = "This pin changed since you loaded it. Reload the page to see the current pin, then try again.";

const ACTIONS: Record<PinKind, AuditAction> = { pin: "pin.pinned", unpin: "pin.unpinned", rollback: "pin.rolled_back" };
/** Break-glass changes get their own action, whatever their kind (kind is in `after`). */
const BREAK_GLASS_ACTION: AuditAction = "pin.break_glass";

type ModelRef = { id: string; modelId: string; nickname: string };

export type PinChange = {
  environment: { id: string; slug: string; name: string };
  function: { id: string; name: string };
  kind: PinKind;
  breakGlass: boolean;
  before: { version: number; model: ModelRef | null };
  after: { version: number; model: ModelRef | null };
  restoredVersion: number | null;
  reason: string;
  changedAt: Date;
  auditEventId: string;
};


/** Pins, unpins or rolls back one pin, in its own transaction. See applyPinChange. */
export async function setPin(ctx: ServiceContext, raw: SetPinInput): Promise<PinChange> {
  authorize(ctx, "pins:write");
  const input = parseInput(setPinSchema, raw);
  // Generous waits: under a burst of writers the pool (10 connections) queues transactions.
  return prisma.$transaction((tx) => applyPinChange(tx, ctx, input), { maxWait: 30_000, timeout: 30_000 });
}

/** The change a promotion request must approve exactly: where, to what, from which version. */
export type PromotedChange = { environmentId: string; functionId: string; modelRefId: string | null; expectedVersion: number };

/**
 * A pin change made by an approved promotion request: the request, and the
 * promotions service's check that it approves exactly this change (it reads
 * the request, which promotions owns; lib/promotions/approval.ts). The check
 * throws (ForbiddenError) to refuse.
 */
export type PromotionApproval = { id: string; number: number; assertApproves: (tx: Tx, change: PromotedChange) => Promise<void> };

export type PinChangeOptions = { promotionRequest?: PromotionApproval };

/**
 * The transactional core of a pin change, for callers that already hold a
 * transaction (lib/promotions applies approved requests through it).
 * Throws an expected error (lib/errors.ts) and writes nothing when any check
 * fails; the caller's transaction must then roll back (or roll back to a
 * savepoint taken before the call).
 *
 * `options.promotionRequest`: the one way other than break-glass through a
 * protected environment's policy. Its check runs here, inside the transaction:
 * the request must be pending, for this environment, function and target,
 * based on `expectedVersion`, and hold the approvals its frozen policy needs.
 */
export async function applyPinChange(tx: Tx, ctx: ServiceContext, raw: SetPinInput, options: PinChangeOptions = {}): Promise<PinChange> {
  authorize(ctx, "pins:write");
  const input = parseInput(setPinSchema, raw);
  const promotion = options.promotionRequest ?? null;

  const environment = await tx.environment.findUnique({
    where: { id: input.environmentId },
    select: { id: true, slug: true, name: true, protected: true },
  });
  if (!environment) throw new NotFoundError("That environment does not exist.");
  const fn = await tx.nyckelFunction.findUnique({ where: { id: input.functionId }, select: { id: true, name: true } });
  if (!fn) throw new NotFoundError("That function does not exist.");

  // Policy: protected environments move through promotion requests; here only an approved request or an admin's break-glass.
  if (promotion) {
    if (input.breakGlass || input.kind === "rollback") throw new InvalidInputError("A promotion moves a pin to its target: no break-glass, no rollback.");
    await promotion.assertApproves(tx, { environmentId: environment.id, functionId: fn.id, modelRefId: input.modelRefId, expectedVersion: input.expectedVersion });
  } else if (environment.protected) {
    if (!input.breakGlass || !can(ctx.actor.role, "pins:break_glass")) {
      throw new ForbiddenError(
        `${environment.name} is protected: its pins move through promotion requests.` +
          (can(ctx.actor.role, "pins:break_glass") ? " As an admin you can use break-glass, with a reason." : " Only an admin can change it directly (break-glass)."),
      );
    }
    authorize(ctx, "pins:break_glass");
  } else if (input.breakGlass) {
    throw new InvalidInputError(`${environment.name} is not protected: change its pin without break-glass.`);
  }

  // The state the caller saw. A different version: someone moved the pin meanwhile.
  const current = await tx.pin.findUnique({
    where: { environmentId_functionId: { environmentId: environment.id, functionId: fn.id } },
    select: { id: true, version: true, updatedAt: true, model: { select: { id: true, modelId: true, nickname: true } } },
  });
  const currentVersion = current?.version ?? 0;
  if (currentVersion !== input.expectedVersion) throw new ConflictError(CONFLICT_MESSAGE);

  // Where the pin goes.
  let targetRefId: string | null = input.modelRefId;
  let restoredVersion: number | null = null;
  if (input.kind === "rollback") {
    const version = input.restoreVersion!;
    if (version >= currentVersion) throw new InvalidInputError("Roll back to an earlier version of this pin.", { restoreVersion: ["Not an earlier version."] });
    if (version === 0) {
      targetRefId = null;
    } else {
      const revision = await tx.pinRevision.findUnique({
        where: { environmentId_functionId_version: { environmentId: environment.id, functionId: fn.id, version } },
        select: { modelRefId: true },
      });
      if (!revision) throw new NotFoundError(`Version ${version} is not in the history of this pin.`);
      targetRefId = revision.modelRefId;
    }
    if (input.modelRefId !== targetRefId) {
      throw new ConflictError(`Version ${version} pinned a different model than the one shown. Reload the page and try again.`);
    }
    restoredVersion = version;
  }

  // FOR SHARE: a concurrent retire (FOR UPDATE) of this model waits for us, or we see its result.
  const target: ModelRef | null = targetRefId
    ? await requirePinnableModel(tx, { modelRefId: targetRefId, functionId: fn.id }, { field: "modelRefId", cannotBe: "pinned", quote: true, lock: "share" })
    : null;

  const beforeModel: ModelRef | null = current?.model ?? null;
  if ((beforeModel?.id ?? null) === (target?.id ?? null)) {
    throw new InvalidInputError(
      target ? `${environment.name} is already pinned to ${modelLabel(target, { quote: true })}.` : `${environment.name} already follows latest (not pinned).`,
    );
  }

  // Compare-and-set. Times only move forward on one pin, even if clocks of two servers disagree.
  const changedAt = new Date(Math.max(Date.now(), (current?.updatedAt.getTime() ?? 0) + 1));
  const breakGlass = input.breakGlass;
  const reason = promotion ? `Promotion #${promotion.number}: ${input.reason}` : input.reason;
  const rows =
    input.expectedVersion === 0
      ? await tx.$queryRaw<{ id: string; version: number }[]>`
          INSERT INTO pins (id, environment_id, function_id, model_ref_id, version, reason, break_glass, updated_by_id, updated_at)
          VALUES (gen_random_uuid(), ${environment.id}::uuid, ${fn.id}, ${targetRefId}::uuid, 1, ${reason}, ${breakGlass}, ${ctx.actor.id}::uuid, ${changedAt})
          ON CONFLICT (environment_id, function_id) DO NOTHING
          RETURNING id, version`
      : await tx.$queryRaw<{ id: string; version: number }[]>`
          UPDATE pins
          SET model_ref_id = ${targetRefId}::uuid, version = version + 1, reason = ${reason}, break_glass = ${breakGlass},
              updated_by_id = ${ctx.actor.id}::uuid, updated_at = ${changedAt}
          WHERE environment_id = ${environment.id}::uuid AND function_id = ${fn.id} AND version = ${input.expectedVersion}
          RETURNING id, version`;
  const written = rows[0];
  if (!written) throw new ConflictError(CONFLICT_MESSAGE);

  const event = await appendAuditEvent(tx, {
    actor: ctx.actor,
    action: breakGlass ? BREAK_GLASS_ACTION : ACTIONS[input.kind],
    functionId: fn.id,
    environmentId: environment.id,
    targetType: "pin",
    targetId: written.id,
    before: { version: currentVersion, modelRefId: beforeModel?.id ?? null, modelId: beforeModel?.modelId ?? null, nickname: beforeModel?.nickname ?? null },
    after: {
      version: written.version,
      modelRefId: target?.id ?? null,
      modelId: target?.modelId ?? null,
      nickname: target?.nickname ?? null,
      kind: input.kind,
      breakGlass,
      ...(restoredVersion !== null ? { restoredVersion } : {}),
      ...(promotion ? { promotionRequest: { id: promotion.id, number: promotion.number } } : {}),
    },
    reason,
    requestId: ctx.requestId,
  });

  await tx.pinRevision.create({
    data: {
      environmentId: environment.id,
      functionId: fn.id,
      version: written.version,
      kind: input.kind,
      modelRefId: target?.id ?? null,
      modelId: target?.modelId ?? null,
      reason,
      breakGlass,
      restoredVersion,
      actorId: ctx.actor.id,
      actorLabel: ctx.actor.label,
      auditEventId: event.id,
      createdAt: changedAt,
    },
  });

  await emitWebhookEvent(tx, {
    type: "pin.changed",
    functionId: fn.id,
    environmentId: environment.id,
    data: {
      function: { id: fn.id, name: fn.name },
      environment: { id: environment.id, slug: environment.slug, name: environment.name },
      kind: input.kind,
      breakGlass,
      before: { version: currentVersion, modelId: beforeModel?.modelId ?? null, nickname: beforeModel?.nickname ?? null },
      after: { version: written.version, modelId: target?.modelId ?? null, nickname: target?.nickname ?? null },
      reason,
      actor: ctx.actor.label,
      changedAt: changedAt.toISOString(),
      auditEventId: String(event.id),
    },
  });

  return {
    environment: { id: environment.id, slug: environment.slug, name: environment.name },
    function: fn,
    kind: input.kind,
    breakGlass,
    before: { version: currentVersion, model: beforeModel },
    after: { version: written.version, model: target },
    restoredVersion,
    reason,
    changedAt,
    auditEventId: event.id.toString(),
  };
}
