import "server-only";
import { prisma } from "@/lib/db/client";
import { orderScopes, type TokenScope } from "./scopes";
import { tokenStatus, type TokenStatus } from "./schemas";

export type ApiTokenRow = {
  id: string;
  name: string;
  prefix: string;
  scopes: TokenScope[];
  environment: { id: string; slug: string; name: string };
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** Written in batches (every few seconds) by the serving layer. */
  lastUsedAt: Date | null;
  status: TokenStatus;
};

/** Every API token, active first, then newest first. Never the hash. */
export async function listApiTokens(): Promise<ApiTokenRow[]> {
  const rows = await prisma.apiToken.findMany({
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: {
      id: true,
      name: true,
      prefix: true,
      scopes: true,
      createdAt: true,
      expiresAt: true,
      revokedAt: true,
      lastUsedAt: true,
      createdByLabel: true,
      environment: { select: { id: true, slug: true, name: true } },
    },
  });
  const now = Date.now();
  const order: Record<TokenStatus, number> = { active: 0, expired: 1, revoked: 2 };
  return rows
    .map((r) => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scopes: orderScopes(r.scopes),
      environment: r.environment,
      createdBy: r.createdByLabel,
      createdAt: r.createdAt,
      expiresAt: r.expiresAt,
      revokedAt: r.revokedAt,
      lastUsedAt: r.lastUsedAt,
      status: tokenStatus(r, now),
    }))
    .sort((a, b) => order[a.status] - order[b.status]);
}
