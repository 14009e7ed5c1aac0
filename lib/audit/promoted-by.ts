import "server-only";
import { prisma } from "@/lib/db/client";
import type { PromotedByView } from "@/components/audit/set-by";

/**
 * Who set a pin that a promotion request moved: the requester and the
 * approvers (promotion_requests and promotion_decisions), for "Set by" on the
 * function page's pins table and on the audit log's pin rows.
 */

const select = {
  id: true,
  number: true,
  environmentId: true,
  appliedVersion: true,
  requestedByLabel: true,
  decisions: { where: { decision: "approve" }, select: { userLabel: true }, orderBy: { createdAt: "asc" } },
} as const;

type Found = { id: string; number: number; requestedByLabel: string; decisions: { userLabel: string }[] };

const view = (r: Found): PromotedByView => ({ requestId: r.id, number: r.number, requestedBy: r.requestedByLabel, approvedBy: r.decisions.map((d) => d.userLabel) });

/** By request id (the `promotionRequest.id` a pin's audit event carries). */
export async function promotionsById(ids: string[], db: Pick<typeof prisma, "promotionRequest"> = prisma): Promise<Map<string, PromotedByView>> {
  const unique = [...new Set(ids)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (!unique.length) return new Map();
  const found = await db.promotionRequest.findMany({ where: { id: { in: unique } }, select });
  return new Map(found.map((r) => [r.id, view(r)]));
}

/** The applied request behind each environment's current pin of one function, by environment id. */
export async function promotionsForPins(
  functionId: string,
  pins: Array<{ environmentId: string; version: number }>,
  db: Pick<typeof prisma, "promotionRequest"> = prisma,
): Promise<Record<string, PromotedByView>> {
  if (!pins.length) return {};
  const found = await db.promotionRequest.findMany({
    where: { functionId, status: "applied", OR: pins.map((p) => ({ environmentId: p.environmentId, appliedVersion: p.version })) },
    select,
  });
  return Object.fromEntries(found.map((r) => [r.environmentId, view(r)]));
}
