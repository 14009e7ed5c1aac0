import "server-only";
import { prisma } from "@/lib/db/client";

/** An open promotion request, as the overview and the function page's pins table show it. */
export type PendingRequestView = {
  id: string;
  number: number;
  functionId: string;
  environmentId: string;
  /** The Nyckel model id it would pin; null = latest. */
  targetModelId: string | null;
  requestedBy: string;
};

/** Requests still waiting for a decision (pending and not expired), oldest first, for every function or one. */
export async function listPendingRequests(filter: { functionId?: string } = {}, now: Date = new Date()): Promise<PendingRequestView[]> {
  const rows = await prisma.promotionRequest.findMany({
    where: { ...(filter.functionId ? { functionId: filter.functionId } : {}), status: "pending", OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    orderBy: { number: "asc" },
    take: 500,
    select: { id: true, number: true, functionId: true, environmentId: true, targetModelId: true, requestedByLabel: true },
  });
  return rows.map((r) => ({ ...r, requestedBy: r.requestedByLabel }));
}

/** The requests by "functionId environmentId". */
export function pendingByCell(requests: PendingRequestView[]): Map<string, PendingRequestView[]> {
  const out = new Map<string, PendingRequestView[]>();
  for (const r of requests) {
    const key = `${r.functionId} ${r.environmentId}`;
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}
