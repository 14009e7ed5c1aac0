import "server-only";
import { prisma, type Tx } from "@/lib/db/client";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { env } from "@/lib/env";
import { QUEUES, getBoss } from "@/lib/jobs/boss";
import { logger } from "@/lib/logger";
import { emitWebhookEvent } from "@/lib/webhooks/emit";
import { headSignatureOk, latestCheckpoint, lockHead, readHead, signHead, unsignedHeadAdoptable, writeHead, type ChainHead } from "./head";
import { SYSTEM_ACTOR, appendAuditEvent } from "./service";

/**
 * Checkpoints (docs/audit.md): the signed head, recorded in audit_checkpoints
 * and sent through the webhook outbox as an `audit.checkpoint` event, so a
 * system outside the database holds it. A pg-boss cron ticks every minute;
 * a checkpoint is recorded when the latest is MODELPIN_AUDIT_CHECKPOINT_SECONDS
 * old (default 3600), whichever process's worker gets the tick.
 */

/** Every minute (pg-boss cron, UTC); the interval itself is checked against the latest checkpoint. */
export const AUDIT_CHECKPOINT_CRON = "* * * * *";

/** A tick this close to the interval counts as due (cron ticks drift by a few seconds). */
const DUE_SLACK_MS = 30_000;

export type CheckpointKind = "scheduled" | "reanchor";

/** The webhook payload (`data` of the envelope) and the stored row say the same. */
export type CheckpointPayload = {
  kind: CheckpointKind;
  /** Events in the chain. */
  count: number;
  /** The newest event's id (a string: ids are 64-bit), null for an empty chain. */
  lastEventId: string | null;
  lastHash: string;
  /** HMAC-SHA256 of the head (lib/audit/head.ts). */
  hmac: string;
  /** ISO 8601: when the checkpoint was recorded. */
  at: string;
  reason: string | null;
  checkpointId: string;
};

/**
 * Records the head as it is now (the caller's transaction holds nothing else
 * of the chain), and emits it to webhooks. Refuses to send out a head whose
 * signature does not hold: null, and an error in the log.
 */
export async function recordCheckpoint(tx: Tx, kind: CheckpointKind, reason: string | null = null): Promise<CheckpointPayload | null> {
  const head = await lockHead(tx);
  if (!headSignatureOk(head, head.hmac)) {
    logger.error({ kind }, "audit checkpoint skipped: the audit head does not verify (run npm run audit:verify)");
    return null;
  }
  const [{ id }] = (await tx.$queryRaw<{ id: bigint }[]>`SELECT nextval(pg_get_serial_sequence('audit_checkpoints', 'id')) AS id`) as [{ id: bigint }];
  const at = new Date();
  const payload: CheckpointPayload = {
    kind,
    count: Number(head.count),
    lastEventId: head.lastId === null ? null : head.lastId.toString(),
    lastHash: head.lastHash,
    hmac: head.hmac!,
    at: at.toISOString(),
    reason,
    checkpointId: id.toString(),
  };
  // The outbox row first, so the checkpoint row (append-only) is written once, with its event's id.
  const event = await emitWebhookEvent(tx, { type: "audit.checkpoint", data: payload });
  await tx.$executeRaw`
    INSERT INTO audit_checkpoints (id, kind, event_count, last_event_id, last_hash, hmac, webhook_event_id, reason, created_at)
    VALUES (${id}, ${kind}, ${head.count}, ${head.lastId}, ${head.lastHash}, ${head.hmac}, ${event.id}::uuid, ${reason}, ${at})`;
  return payload;
}

/**
 * The scheduled step: signs a head a migration built (first start after an
 * upgrade, with an `audit.anchored` event; silently for a new, empty log), then records a checkpoint when
 * the latest one is older than the interval (or there is none).
 */
export async function runDueCheckpoint(now: Date = new Date(), intervalSeconds: number = env().MODELPIN_AUDIT_CHECKPOINT_SECONDS): Promise<CheckpointPayload | null> {
  await anchorUnsignedHead();
  const latest = await latestCheckpoint(prisma);
  if (latest && now.getTime() - latest.createdAt.getTime() < intervalSeconds * 1000 - DUE_SLACK_MS) return null;
  return prisma.$transaction(async (tx) => {
    await lockHead(tx);
    // Another process may have recorded one while this one waited for the lock.
    const again = await latestCheckpoint(tx);
    if (again && (latest === null || again.id !== latest.id)) return null;
    return recordCheckpoint(tx, "scheduled");
  });
}

/**
 * First start after the migration that built the head from an existing chain:
 * the head is unsigned; sign it by appending `audit.anchored` (the append
 * signs the head it extends when that head is adoptable, lib/audit/head.ts).
 */
export async function anchorUnsignedHead(db: PrismaClient = prisma): Promise<boolean> {
  const head = await readHead(db);
  if (!head || head.hmac !== null) return false;
  return db.$transaction(async (tx) => {
    const locked = await lockHead(tx);
    if (locked.hmac !== null) return false;
    if (locked.count === 0n && (await unsignedHeadAdoptable(tx, locked))) {
      // A new installation: nothing to anchor yet, so no event; just sign the empty head.
      await writeHead(tx, locked, signHead(locked));
      return true;
    }
    if (!(await unsignedHeadAdoptable(tx, locked))) {
      logger.error("the audit head is unsigned and does not match the chain (or checkpoints exist): not signed; run npm run audit:verify");
      return false;
    }
    const before: Record<string, unknown> = describeHead(locked);
    await appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: "audit.anchored",
      targetType: "audit_chain",
      before,
      after: { signed: true },
      reason: "First start with an anchored audit chain: the head built from the existing chain is now signed.",
    });
    return true;
  });
}

export function describeHead(h: ChainHead): { count: number; lastEventId: string | null; lastHash: string } {
  return { count: Number(h.count), lastEventId: h.lastId === null ? null : h.lastId.toString(), lastHash: h.lastHash };
}

/** Schedules the tick (idempotent: one schedule per queue) and works it in this process. */
export async function startAuditCheckpointWorker(): Promise<void> {
  const boss = await getBoss();
  await boss.schedule(QUEUES.auditCheckpoint, AUDIT_CHECKPOINT_CRON, {}, { tz: "UTC" });
  await boss.work(QUEUES.auditCheckpoint, { batchSize: 1, pollingIntervalSeconds: 30 }, async () => {
    const checkpoint = await runDueCheckpoint();
    if (checkpoint) logger.info({ count: checkpoint.count, lastEventId: checkpoint.lastEventId }, "audit checkpoint recorded");
  });
  await runDueCheckpoint();
}
