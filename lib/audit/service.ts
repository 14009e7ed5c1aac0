import "server-only";
import type { Tx } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { logger } from "@/lib/logger";
import type { AuditAction } from "./catalog";
import { eventHash } from "./hash";
import { headTrusted, lockHead, signHead, writeHead } from "./head";

export type AuditActor = { id: string | null; label: string };

/** The system actor, for changes nobody made by hand (sync at start-up, expiry jobs). */
export const SYSTEM_ACTOR: AuditActor = { id: null, label: "system" };

export type AuditInput = {
  actor: AuditActor;
  action: AuditAction;
  functionId?: string | null;
  environmentId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  requestId?: string | null;
};

function toJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Prisma.InputJsonValue;
}

/**
 * Appends one event to the audit chain inside the caller's transaction, and
 * moves the signed head (lib/audit/head.ts) in the same transaction. Appends
 * are serialised by the head's row lock (released at commit), so the chain
 * stays one line under concurrency. A head whose signature does not hold is
 * never re-signed: the event is still written, and verify keeps reporting
 * the head until an admin re-anchors (docs/audit.md).
 */
export async function appendAuditEvent(tx: Tx, input: AuditInput): Promise<{ id: bigint; hash: string }> {
  const head = await lockHead(tx);
  const trusted = await headTrusted(tx, head);
  if (!trusted) {
    logger.error({ action: input.action, requestId: input.requestId }, "audit head does not verify: event appended, head left unsigned (run npm run audit:verify)");
  }
  const [{ id }] = (await tx.$queryRaw<{ id: bigint }[]>`SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) AS id`) as [
    { id: bigint },
  ];
  const before = toJson(input.before);
  const after = toJson(input.after);
  const fields = {
    id,
    createdAt: new Date(),
    actorId: input.actor.id,
    actorLabel: input.actor.label,
    action: input.action,
    functionId: input.functionId ?? null,
    environmentId: input.environmentId ?? null,
    targetType: input.targetType ?? null,
    targetId: input.targetId ?? null,
    before: before === Prisma.DbNull ? null : before,
    after: after === Prisma.DbNull ? null : after,
    reason: input.reason ?? null,
    requestId: input.requestId ?? null,
    prevHash: head.lastHash,
  };
  const hash = eventHash(fields);
  await tx.auditEvent.create({ data: { ...fields, before, after, hash } });
  const next = { count: head.count + 1n, lastId: id, lastHash: hash };
  await writeHead(tx, next, trusted ? signHead(next) : head.hmac);
  return { id, hash };
}

/** appendAuditEvent for a change made through a service call: its actor, and its request id. */
export function appendAuditEventBy(tx: Tx, ctx: { actor: AuditActor; requestId: string }, event: Omit<AuditInput, "actor" | "requestId">): Promise<{ id: bigint; hash: string }> {
  return appendAuditEvent(tx, { ...event, actor: ctx.actor, requestId: ctx.requestId });
}
