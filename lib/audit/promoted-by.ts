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
  requestedById: true,
  requestedByLabel: true,
  decisions: { where: { decision: "approve" }, select: { userId: true, userLabel: true }, orderBy: { createdAt: "asc" } },
} as const;

type Found = { id: string; number: number; requestedById: string | null; requestedByLabel: string; decisions: { userId: string; userLabel: string }[] };
type Db = Pick<typeof prisma, "promotionRequest" | "user">;

/** Members by their names (as the pins table shows people), their audit label otherwise. */
async function views(found: Found[], db: Db): Promise<PromotedByView[]> {
  const ids = [...new Set(found.flatMap((r) => [r.requestedById, ...r.decisions.map((d) => d.userId)]).filter((id): id is string => id !== null))];
  const users = ids.length ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }) : [];
  const names = new Map(users.filter((u) => u.name).map((u) => [u.id, u.name]));
  const name = (id: string | null, label: string) => (id ? (names.get(id) ?? label) : label);
  return found.map((r) => ({
    requestId: r.id,
    number: r.number,
    requestedBy: name(r.requestedById, r.requestedByLabel),
    approvedBy: r.decisions.map((d) => name(d.userId, d.userLabel)),
  }));
}

/** By request id (the `promotionRequest.id` a pin's audit event carries). */
export async function promotionsById(ids: string[], db: Db = prisma): Promise<Map<string, PromotedByView>> {
  const unique = [...new Set(ids)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (!unique.length) return new Map();
  const found = await db.promotionRequest.findMany({ where: { id: { in: unique } }, select });
  return new Map((await views(found, db)).map((v) => [v.requestId, v]));
}

/** The applied request behind each environment's current pin of one function, by environment id. */
export async function promotionsForPins(
  functionId: string,
  pins: Array<{ environmentId: string; version: number }>,
  db: Db = prisma,
): Promise<Record<string, PromotedByView>> {
  if (!pins.length) return {};
  const found = await db.promotionRequest.findMany({
    where: { functionId, status: "applied", OR: pins.map((p) => ({ environmentId: p.environmentId, appliedVersion: p.version })) },
    select,
  });
  const all = await views(found, db);
  return Object.fromEntries(found.map((r, i) => [r.environmentId, all[i]!]));
}
