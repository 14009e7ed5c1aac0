import "server-only";
import type { Tx } from "@/lib/db/client";
import { Prisma } from "@/lib/generated/prisma/client";
import { GENESIS_HASH, eventHash } from "./hash";

/** Any advisory-lock key unique to the audit chain. */
const AUDIT_CHAIN_LOCK = 7_316_001;

export type AuditActor = { id: string | null; label: string };

/** The system actor, for changes nobody made by hand (sync at start-up, expiry jobs). */
export const SYSTEM_ACTOR: AuditActor = { id: null, label: "system" };

export type AuditInput = {
  actor: AuditActor;
  action: string;
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
 * Appends one event to the audit chain inside the caller's transaction.
 * Appends are serialized with a transaction-scoped advisory lock, so the
 * chain stays one line under concurrency; the lock is released at commit.
 */
export async function appendAuditEvent(tx: Tx, input: AuditInput): Promise<{ id: bigint; hash: string }> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK}::bigint)`;
  const [last] = await tx.$queryRaw<{ hash: string }[]>`SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1`;
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
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const hash = eventHash(fields);
  await tx.auditEvent.create({ data: { ...fields, before, after, hash } });
  return { id, hash };
}
