import "server-only";
import type { Tx } from "@/lib/db/client";
import { shareLockModel } from "@/lib/models/pinnable";

/**
 * THE LOCK ORDER, for every transaction that takes more than one of these locks:
 *
 *   promotion request row → pin row → model row → audit chain
 *
 *   1. the request: `lockRequest` (lib/promotions/request-core.ts), SELECT … FOR UPDATE;
 *   2. the pin: `lockPin` below (or the pin service's compare-and-set UPDATE);
 *   3. the model: FOR SHARE when it is the target (`lockPinAndTarget` below,
 *      `requirePinnableModel` with `lock: "share"` in the pin service), FOR UPDATE
 *      when it is retired or restored (lib/models/service.ts);
 *   4. the audit chain: the audit head's row lock, taken by the first
 *      `appendAuditEvent` (lib/audit/service.ts) and held until commit.
 *
 * Row locks are never taken after an audit append, so there is no lock cycle
 * between deciding a promotion (request → pin → model → audit), a pin change
 * (pin → audit) and retiring a model (model → audit).
 */

export type PinKey = { environmentId: string; functionId: string };

export type CurrentPin = { version: number; model: { id: string; modelId: string; nickname: string } | null };

/** The pin's version (0 = never pinned) and model (null = latest), without a lock. */
export async function currentPin(db: Pick<Tx, "pin">, key: PinKey): Promise<CurrentPin> {
  const pin = await db.pin.findUnique({
    where: { environmentId_functionId: { environmentId: key.environmentId, functionId: key.functionId } },
    select: { version: true, model: { select: { id: true, modelId: true, nickname: true } } },
  });
  return { version: pin?.version ?? 0, model: pin?.model ?? null };
}

/** The pin row, locked FOR UPDATE for the rest of the transaction (step 2); version 0 = never pinned (no row to lock). */
export async function lockPin(tx: Tx, key: PinKey): Promise<{ version: number }> {
  const [pin] = await tx.$queryRaw<{ version: number }[]>`
    SELECT version FROM pins WHERE environment_id = ${key.environmentId}::uuid AND function_id = ${key.functionId} FOR UPDATE`;
  return { version: pin?.version ?? 0 };
}

/** Steps 2 and 3 for a change about to be applied: the pin row FOR UPDATE, then the target model (if any) FOR SHARE. */
export async function lockPinAndTarget(tx: Tx, key: PinKey, targetModelRefId: string | null): Promise<{ version: number }> {
  const pin = await lockPin(tx, key);
  if (targetModelRefId) await shareLockModel(tx, targetModelRefId);
  return pin;
}
