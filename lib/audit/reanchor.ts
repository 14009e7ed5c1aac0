import "server-only";
import { authorize, type ServiceContext } from "@/lib/context";
import { prisma } from "@/lib/db/client";
import { ConflictError } from "@/lib/errors";
import { parseInput } from "@/lib/validation";
import { describeHead, recordCheckpoint, type CheckpointPayload } from "./checkpoint";
import { walkChain, type ChainWalk } from "./chain";
import { headSignatureOk, latestCheckpoint, lockHead, signHead, writeHead, type ChainHead } from "./head";
import { reanchorSchema, type ReanchorInput } from "./schemas";
import { appendAuditEvent } from "./service";

export type ReanchorOutcome = { before: ReturnType<typeof describeHead> & { signatureValid: boolean }; after: ReturnType<typeof describeHead>; checkpoint: CheckpointPayload | null };

/**
 * The audited re-anchor (docs/audit.md), for after restoring a backup (which
 * looks like deleted newest events) or changing MODELPIN_ENCRYPTION_KEY:
 * walks the chain — its links must hold, a re-anchor never blesses an edited
 * event — and, under the head's lock, the events appended meanwhile; then signs a head at the chain's real end,
 * appends `audit.reanchored` (the old head and checkpoint as `before`, the
 * reason) and records a `reanchor` checkpoint, sent to webhooks at once.
 */
export async function reanchorAuditChain(ctx: ServiceContext, raw: ReanchorInput): Promise<ReanchorOutcome> {
  authorize(ctx, "audit:verify");
  const { reason } = parseInput(reanchorSchema, raw);
  // The long walk first, without the head's lock (appends go on); under the lock only what came since.
  const checked = refuseBroken(await walkChain(prisma));
  return prisma.$transaction(
    async (tx) => {
      const old = await lockHead(tx);
      const checkpoint = await latestCheckpoint(tx);
      const tail = refuseBroken(await walkChain(tx, [], undefined, checked));
      await writeHead(tx, tail, signHead(tail));
      await appendAuditEvent(tx, {
        actor: ctx.actor,
        action: "audit.reanchored",
        targetType: "audit_chain",
        before: {
          head: { ...describeHead(old), signatureValid: headSignatureOk(old, old.hmac) },
          checkpoint: checkpoint ? { ...describeHead(checkpoint), kind: checkpoint.kind, at: checkpoint.createdAt.toISOString() } : null,
        },
        after: { head: describeHead(tail) },
        reason,
        requestId: ctx.requestId,
      });
      const recorded = await recordCheckpoint(tx, "reanchor", reason);
      return { before: { ...describeHead(old), signatureValid: headSignatureOk(old, old.hmac) }, after: describeHead(tail), checkpoint: recorded };
    },
    { timeout: 600_000, maxWait: 10_000 },
  );
}

function refuseBroken(walk: ChainWalk): ChainHead {
  if (walk.ok) return walk.tail;
  throw new ConflictError(
    `The audit chain is broken at event ${walk.brokenAt}: ${walk.problem}. A re-anchor only re-signs an intact chain; it never accepts an edited, removed or inserted event.`,
  );
}
