import "server-only";
import type { Tx } from "@/lib/db/client";
import { ForbiddenError } from "@/lib/errors";
import type { PromotedChange, PromotionApproval } from "@/lib/pins/service";

/**
 * What promotions hands the pin service to move a protected pin for an
 * approved request (applyPinChange's `promotionRequest`): the request and its
 * check, so the pin service never reads promotion tables.
 */
export function promotionApproval(request: { id: string; number: number }): PromotionApproval {
  return { id: request.id, number: request.number, assertApproves: (tx, change) => assertApprovedPromotion(tx, request, change) };
}

/**
 * The check: the request row (locked by the promotions service in this
 * transaction) must be pending and approved for exactly this change. Anything
 * else is refused.
 */
async function assertApprovedPromotion(tx: Tx, promotion: { id: string; number: number }, change: PromotedChange): Promise<void> {
  const [row] = await tx.$queryRaw<
    { number: number; status: string; environment_id: string; function_id: string; target_model_ref_id: string | null; base_version: number; approvals_required: number; approvals: number }[]
  >`
    SELECT r.number, r.status, r.environment_id::text, r.function_id, r.target_model_ref_id::text, r.base_version, r.approvals_required,
           (SELECT count(*)::int FROM promotion_decisions d WHERE d.request_id = r.id AND d.decision = 'approve') AS approvals
    FROM promotion_requests r WHERE r.id = ${promotion.id}::uuid`;
  const matches =
    row &&
    row.number === promotion.number &&
    row.status === "pending" &&
    row.environment_id === change.environmentId &&
    row.function_id === change.functionId &&
    (row.target_model_ref_id ?? null) === change.modelRefId &&
    row.base_version === change.expectedVersion &&
    row.approvals >= row.approvals_required;
  if (!matches) throw new ForbiddenError(`Promotion request #${promotion.number} does not approve this pin change.`);
}
