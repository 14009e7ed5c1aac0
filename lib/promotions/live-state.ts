import "server-only";
import { prisma } from "@/lib/db/client";
import { currentPin } from "@/lib/pins/locks";

/**
 * A promotion request's state in two fields, for its page's polling (GET /api/promotions/{id}/status).
 * `version` changes whenever anything the page shows about the request's state changes: its status, a
 * decision, the environment's pin (stale risk), expiry. Null when the request does not exist.
 */
export async function getRequestLiveState(requestId: string, now: Date = new Date()): Promise<{ status: string; version: string } | null> {
  if (!/^[0-9a-f-]{36}$/i.test(requestId)) return null;
  const r = await prisma.promotionRequest.findUnique({
    where: { id: requestId },
    select: { status: true, expiresAt: true, functionId: true, environmentId: true, closedAt: true, decisions: { select: { id: true } } },
  });
  if (!r) return null;
  const pin = await currentPin(prisma, r);
  const expired = r.status === "pending" && r.expiresAt !== null && r.expiresAt.getTime() <= now.getTime();
  const decisions = r.decisions.map((d) => d.id).sort().join(",");
  return { status: expired ? "expired" : r.status, version: [r.status, expired ? "expired" : "", r.closedAt?.toISOString() ?? "", decisions, pin.version].join("|") };
}
