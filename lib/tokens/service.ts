import "server-only";
import { appendAuditEvent } from "@/lib/audit/service";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { tokenCreateSchema, tokenRevokeSchema, type TokenCreateInput, type TokenRevokeInput } from "./schemas";
import type { TokenScope } from "./scopes";
import { generateToken, hashToken, tokenDisplayPrefix } from "./secret";

const DAY_MS = 24 * 60 * 60 * 1000;

export type CreatedToken = {
  id: string;
  name: string;
  prefix: string;
  environment: { id: string; slug: string; name: string };
  expiresAt: Date | null;
  scopes: TokenScope[];
  /** The token itself: returned once, never stored, never logged, never audited. */
  token: string;
};

/**
 * Creates an environment-scoped API token. Only its SHA-256 is stored; the
 * token is returned to the caller once. The audit event records the name,
 * environment, display prefix and expiry — never the token or its hash.
 */
export async function createApiToken(ctx: ServiceContext, raw: TokenCreateInput): Promise<CreatedToken> {
  authorize(ctx, "tokens:manage");
  const input = parseInput(tokenCreateSchema, raw);
  const token = generateToken();
  const prefix = tokenDisplayPrefix(token);
  const expiresAt = input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * DAY_MS);
  return prisma.$transaction(async (tx) => {
    const environment = await tx.environment.findUnique({ where: { id: input.environmentId }, select: { id: true, slug: true, name: true } });
    if (!environment) throw new NotFoundError("That environment does not exist.", { environmentId: ["Choose an environment."] });
    const row = await tx.apiToken.create({
      data: {
        name: input.name,
        environmentId: environment.id,
        prefix,
        tokenHash: hashToken(token),
        expiresAt,
        scopes: input.scopes,
        createdById: ctx.actor.id,
        createdByLabel: ctx.actor.label,
      },
      select: { id: true, name: true, prefix: true, expiresAt: true, scopes: true },
    });
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "token.created",
      environmentId: environment.id,
      targetType: "api_token",
      targetId: row.id,
      after: { name: row.name, environment: environment.slug, prefix: row.prefix, expiresAt: row.expiresAt?.toISOString() ?? null, scopes: input.scopes },
      requestId: ctx.requestId,
    });
    return { id: row.id, name: row.name, prefix: row.prefix, environment, expiresAt: row.expiresAt, scopes: input.scopes, token };
  });
}

/**
 * Revokes a token: from now on it gets 401 on every instance (within about a
 * second, through the serving cache's LISTEN/NOTIFY). Revoking twice is refused.
 */
export async function revokeApiToken(ctx: ServiceContext, raw: TokenRevokeInput) {
  authorize(ctx, "tokens:manage");
  const { id } = parseInput(tokenRevokeSchema, raw);
  return prisma.$transaction(async (tx) => {
    const before = await tx.apiToken.findUnique({
      where: { id },
      select: { id: true, name: true, prefix: true, revokedAt: true, expiresAt: true, environment: { select: { id: true, slug: true } } },
    });
    if (!before) throw new NotFoundError("That token does not exist.");
    if (before.revokedAt) throw new ConflictError(`The token “${before.name}” was already revoked.`);
    // Compare-and-set: of two concurrent revocations exactly one succeeds.
    const revokedAt = new Date();
    const { count } = await tx.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt } });
    if (count === 0) throw new ConflictError(`The token “${before.name}” was already revoked.`);
    const summary = { name: before.name, environment: before.environment.slug, prefix: before.prefix, expiresAt: before.expiresAt?.toISOString() ?? null };
    await appendAuditEvent(tx, {
      actor: ctx.actor,
      action: "token.revoked",
      environmentId: before.environment.id,
      targetType: "api_token",
      targetId: id,
      before: { ...summary, revokedAt: null },
      after: { ...summary, revokedAt: revokedAt.toISOString() },
      requestId: ctx.requestId,
    });
    return { id, name: before.name, revokedAt };
  });
}
