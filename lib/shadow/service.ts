import "server-only";
import { appendAuditEventBy } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma, type Tx } from "@/lib/db/client";
import { ConflictError, InvalidInputError, NotFoundError, isUniqueViolation } from "@/lib/errors";
import { checkPinnableModel } from "@/lib/models/pinnable";
import { modelLabel } from "@/lib/models/label";
import { parseInput } from "@/lib/validation";
import { emitWebhookEvent } from "@/lib/webhooks/emit";
import { forgetShadowCache } from "./cache";
import { SHADOW_LIMITS, changeShadowSchema, startShadowSchema, stopShadowSchema, type ChangeShadowInput, type StartShadowInput, type StopShadowInput } from "./schemas";

/**
 * Shadow evaluation (issue 18; docs/shadow.md): the writes.
 *
 * The domain's exported API (stable; the pages build on it):
 *
 * lib/shadow/service.ts (writes; editor permission "comparisons:run"; audited + webhook events)
 *   startShadow(ctx, StartShadowInput)  → ShadowDto      audit + webhook `shadow.started`
 *   changeShadow(ctx, ChangeShadowInput) → ShadowDto     audit + webhook `shadow.changed`
 *   stopShadow(ctx, StopShadowInput)    → ShadowDto      audit + webhook `shadow.stopped`
 *
 * lib/shadow/queries.ts (reads; DTOs only, `import type` from client components)
 *   activeShadowsForFunction(functionId)   → ShadowDto[]   active (not stopped, not ended) per environment
 *   activeShadowEnvironments()             → ActiveShadowMark[]  (environmentId, functionId) pairs with one
 *   shadowsOfFunction(functionId)          → ShadowDto[]   every shadow, newest first (history)
 *   getShadow(shadowId)                    → ShadowDto | null
 *   shadowReport(shadowId, { from?, to? }) → ShadowReport  agreement + 95% CI, matrix, flips, latency p50/p95,
 *                                                          errors, drops, per-hour series, reservoir (when kept)
 *   shadowSnapshotsOfFunction(functionId)  → ShadowSnapshotDto[]  frozen evidence a promotion request can attach
 *
 * lib/shadow/evidence.ts (promotion evidence)
 *   freezeShadowEvidence(ctx, FreezeShadowInput) → { snapshotId, summary, hash }  audit `shadow.frozen`
 *   shadowEvidenceRun(snapshot)  → EvidenceRun   what lib/promotions/gate.ts judges (exactly as a run)
 *
 * lib/shadow/actions.ts: startShadowAction, changeShadowAction, stopShadowAction, freezeShadowEvidenceAction.
 * lib/shadow/schemas.ts: SHADOW_LIMITS and the zod schemas (no server-only: forms use them).
 * Promotion requests take `evidenceShadowSnapshotId` (lib/promotions/schemas.ts) instead of `evidenceRunId`;
 * their frozen `evidenceSummary` then has `shadow` set (lib/promotions/evidence.ts): runId is the shadow's id.
 *
 * The proxy side (lib/shadow/mirror.ts, recorder.ts, cache.ts) is not for pages.
 */

export type ShadowState = "active" | "ended" | "stopped";

export type ShadowDto = {
  id: string;
  functionId: string;
  environment: { id: string; slug: string; name: string };
  candidate: { modelRefId: string; modelId: string; label: string };
  sharePct: number;
  maxPerSecond: number;
  endsAt: string;
  keepInputs: boolean;
  reason: string;
  createdBy: string;
  createdAt: string;
  stoppedAt: string | null;
  stoppedBy: string | null;
  state: ShadowState;
};

export const SHADOW_PERMISSION = "comparisons:run" as const;

export const shadowSelect = {
  id: true,
  functionId: true,
  sharePct: true,
  maxPerSecond: true,
  endsAt: true,
  keepInputs: true,
  reason: true,
  createdByLabel: true,
  createdAt: true,
  stoppedAt: true,
  stoppedByLabel: true,
  environment: { select: { id: true, slug: true, name: true } },
  candidateModel: { select: { id: true, modelId: true, nickname: true } },
} as const;

type ShadowRow = {
  id: string;
  functionId: string;
  sharePct: number;
  maxPerSecond: number;
  endsAt: Date;
  keepInputs: boolean;
  reason: string;
  createdByLabel: string;
  createdAt: Date;
  stoppedAt: Date | null;
  stoppedByLabel: string | null;
  environment: { id: string; slug: string; name: string };
  candidateModel: { id: string; modelId: string; nickname: string };
};

export function shadowState(row: { stoppedAt: Date | null; endsAt: Date }, now = new Date()): ShadowState {
  if (row.stoppedAt) return "stopped";
  return row.endsAt.getTime() <= now.getTime() ? "ended" : "active";
}

export function toShadowDto(row: ShadowRow, now = new Date()): ShadowDto {
  return {
    id: row.id,
    functionId: row.functionId,
    environment: row.environment,
    candidate: { modelRefId: row.candidateModel.id, modelId: row.candidateModel.modelId, label: modelLabel(row.candidateModel) },
    sharePct: row.sharePct,
    maxPerSecond: row.maxPerSecond,
    endsAt: row.endsAt.toISOString(),
    keepInputs: row.keepInputs,
    reason: row.reason,
    createdBy: row.createdByLabel,
    createdAt: row.createdAt.toISOString(),
    stoppedAt: row.stoppedAt?.toISOString() ?? null,
    stoppedBy: row.stoppedByLabel,
    state: shadowState(row, now),
  };
}

/** What audit and webhook events carry of a shadow (settings, no inputs). */
function eventView(s: ShadowDto) {
  return {
    shadowId: s.id,
    environment: s.environment.slug,
    candidate: s.candidate.modelId,
    candidateLabel: s.candidate.label,
    sharePct: s.sharePct,
    maxPerSecond: s.maxPerSecond,
    endsAt: s.endsAt,
    keepInputs: s.keepInputs,
  };
}

function checkEnd(endsAt: Date, now: Date): void {
  if (endsAt.getTime() <= now.getTime()) throw new InvalidInputError("The end time must be in the future.", { endsAt: ["The end time must be in the future."] });
  if (endsAt.getTime() - now.getTime() > SHADOW_LIMITS.maxDays * 86_400_000) {
    const message = `A shadow runs at most ${SHADOW_LIMITS.maxDays} days; choose an earlier end time.`;
    throw new InvalidInputError(message, { endsAt: [message] });
  }
}

async function event(tx: Tx, ctx: ServiceContext, type: "shadow.started" | "shadow.changed" | "shadow.stopped", before: ShadowDto | null, after: ShadowDto, reason: string) {
  await appendAuditEventBy(tx, ctx, {
    action: type,
    functionId: after.functionId,
    environmentId: after.environment.id,
    targetType: "shadow",
    targetId: after.id,
    before: before ? eventView(before) : null,
    after: eventView(after),
    reason: reason || null,
  });
  await emitWebhookEvent(tx, {
    type,
    functionId: after.functionId,
    environmentId: after.environment.id,
    data: { ...eventView(after), functionId: after.functionId, actor: ctx.actor.label, reason: reason || null },
  });
}

/** Starts a shadow. One shadow per function and environment at a time (an ended one is closed first). */
export async function startShadow(ctx: ServiceContext, input: StartShadowInput): Promise<ShadowDto> {
  authorize(ctx, SHADOW_PERMISSION);
  const data = parseInput(startShadowSchema, input);
  const now = new Date();
  const endsAt = data.endsAt ?? new Date(now.getTime() + SHADOW_LIMITS.defaultDays * 86_400_000);
  checkEnd(endsAt, now);
  try {
    const dto = await prisma.$transaction(async (tx) => {
      const environment = await tx.environment.findUnique({ where: { id: data.environmentId }, select: { id: true } });
      if (!environment) throw new NotFoundError("That environment does not exist.");
      const fn = await tx.nyckelFunction.findUnique({ where: { id: data.functionId }, select: { id: true } });
      if (!fn) throw new NotFoundError("That function does not exist.");
      const check = await checkPinnableModel(tx, { modelRefId: data.candidateModelRefId, functionId: fn.id }, { lock: "share" });
      if (!check.ok) {
        const message = check.why === "retired" ? `${modelLabel(check.model)} is retired and cannot be shadowed.` : "That model is not registered for this function.";
        throw new InvalidInputError(message, { candidateModelRefId: [message] });
      }
      // A shadow past its end time still holds the one "not stopped" place: close it as ended.
      await tx.shadow.updateMany({
        where: { functionId: fn.id, environmentId: environment.id, stoppedAt: null, endsAt: { lte: now } },
        data: { stoppedAt: now, stoppedByLabel: "ended" },
      });
      const row = await tx.shadow.create({
        data: {
          functionId: fn.id,
          environmentId: environment.id,
          candidateModelRefId: check.model.id,
          candidateModelId: check.model.modelId,
          sharePct: data.sharePct,
          maxPerSecond: data.maxPerSecond,
          endsAt,
          keepInputs: data.keepInputs,
          reason: data.reason,
          createdById: ctx.actor.id,
          createdByLabel: ctx.actor.label,
        },
        select: shadowSelect,
      });
      const created = toShadowDto(row, now);
      await event(tx, ctx, "shadow.started", null, created, data.reason);
      return created;
    });
    forgetShadowCache();
    return dto;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError("A shadow is already running for this function in that environment. Change or stop it first.");
    throw error;
  }
}

async function lockOpen(tx: Tx, shadowId: string, now: Date): Promise<ShadowRow> {
  await tx.$queryRaw`SELECT id FROM shadows WHERE id = ${shadowId}::uuid FOR UPDATE`;
  const row = await tx.shadow.findUnique({ where: { id: shadowId }, select: shadowSelect });
  if (!row) throw new NotFoundError("That shadow does not exist.");
  if (row.stoppedAt) throw new ConflictError(`That shadow was stopped ${row.stoppedByLabel === "ended" ? "at its end time" : `by ${row.stoppedByLabel ?? "someone"}`}; start a new one.`);
  if (row.endsAt.getTime() <= now.getTime()) throw new ConflictError("That shadow has ended; start a new one.");
  return row;
}

/** Changes a running shadow's share, cap, end time or keep-inputs. Turning keep-inputs off deletes the kept inputs. */
export async function changeShadow(ctx: ServiceContext, input: ChangeShadowInput): Promise<ShadowDto> {
  authorize(ctx, SHADOW_PERMISSION);
  const data = parseInput(changeShadowSchema, input);
  const now = new Date();
  if (data.endsAt) checkEnd(data.endsAt, now);
  const dto = await prisma.$transaction(async (tx) => {
    const row = await lockOpen(tx, data.shadowId, now);
    const before = toShadowDto(row, now);
    const updated = await tx.shadow.update({
      where: { id: row.id },
      data: { sharePct: data.sharePct, maxPerSecond: data.maxPerSecond, endsAt: data.endsAt, keepInputs: data.keepInputs },
      select: shadowSelect,
    });
    if (row.keepInputs && updated.keepInputs === false) await tx.shadowReservoirInput.deleteMany({ where: { shadowId: row.id } });
    const after = toShadowDto(updated, now);
    await event(tx, ctx, "shadow.changed", before, after, data.reason);
    return after;
  });
  forgetShadowCache();
  return dto;
}

/** Stops a running shadow: mirroring ends in every process at its next cache refresh (a notification, at once). */
export async function stopShadow(ctx: ServiceContext, input: StopShadowInput): Promise<ShadowDto> {
  authorize(ctx, SHADOW_PERMISSION);
  const data = parseInput(stopShadowSchema, input);
  const now = new Date();
  const dto = await prisma.$transaction(async (tx) => {
    const row = await lockOpen(tx, data.shadowId, now);
    const before = toShadowDto(row, now);
    const updated = await tx.shadow.update({ where: { id: row.id }, data: { stoppedAt: now, stoppedByLabel: ctx.actor.label }, select: shadowSelect });
    const after = toShadowDto(updated, now);
    await event(tx, ctx, "shadow.stopped", before, after, data.reason);
    return after;
  });
  forgetShadowCache();
  return dto;
}
