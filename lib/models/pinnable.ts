import "server-only";
import type { Tx } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { InvalidInputError, NotFoundError } from "@/lib/errors";
import { modelLabel } from "./label";

/**
 * "Registered for this function and not retired", in one place: the pin
 * service before it moves a pin, promotions before a request is opened, and
 * comparisons for a model chosen by reference all ask here.
 */

export type PinnableModel = { id: string; modelId: string; nickname: string };

export type PinnableCheck = { ok: true; model: PinnableModel } | { ok: false; why: "unknown" } | { ok: false; why: "retired"; model: PinnableModel };

export const NOT_REGISTERED_MESSAGE = "That model is not registered for this function.";

/**
 * Looks the model up for `functionId`. `lock: "share"` takes the model row
 * FOR SHARE (the model step of the lock order, lib/pins/locks.ts): a
 * concurrent retire (FOR UPDATE) waits for this transaction, or this one sees
 * its result.
 */
export async function checkPinnableModel(tx: Tx, ref: { modelRefId: string; functionId: string }, options: { lock?: "share" } = {}): Promise<PinnableCheck> {
  const [row] = await tx.$queryRaw<{ id: string; function_id: string; model_id: string; nickname: string; retired_at: Date | null }[]>`
    SELECT id, function_id, model_id, nickname, retired_at FROM models WHERE id = ${ref.modelRefId}::uuid ${options.lock === "share" ? Prisma.sql`FOR SHARE` : Prisma.empty}`;
  if (!row || row.function_id !== ref.functionId) return { ok: false, why: "unknown" };
  const model = { id: row.id, modelId: row.model_id, nickname: row.nickname };
  return row.retired_at ? { ok: false, why: "retired", model } : { ok: true, model };
}

/**
 * The model, or the expected error on the form's `field`: not registered
 * (NotFoundError) or retired ("… is retired and cannot be pinned/requested.").
 */
export async function requirePinnableModel(
  tx: Tx,
  ref: { modelRefId: string; functionId: string },
  refusal: { field: string; cannotBe: "pinned" | "requested"; quote?: boolean; lock?: "share" },
): Promise<PinnableModel> {
  const check = await checkPinnableModel(tx, ref, { lock: refusal.lock });
  if (check.ok) return check.model;
  if (check.why === "unknown") throw new NotFoundError(NOT_REGISTERED_MESSAGE, { [refusal.field]: ["Unknown model."] });
  throw new InvalidInputError(`${modelLabel(check.model, { quote: refusal.quote })} is retired and cannot be ${refusal.cannotBe}.`, { [refusal.field]: ["Retired."] });
}

/** The model row FOR SHARE, when it exists (the model step of the lock order, lib/pins/locks.ts). */
export async function shareLockModel(tx: Tx, modelRefId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM models WHERE id = ${modelRefId}::uuid FOR SHARE`;
}
