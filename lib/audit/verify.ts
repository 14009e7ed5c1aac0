import "server-only";
import { prisma } from "@/lib/db/client";
import { shortHash as short, walkChain, type ChainDb as Db } from "./chain";
import { auditKey, headSignatureOk, latestCheckpoint, readHead, type ChainHead } from "./head";

/**
 * `audit:verify` and Settings → Audit integrity (docs/audit.md). Three checks:
 *
 * 1. the hash chain: every event hashes to what it stores and names the hash
 *    of the event before it (an edited, removed or inserted event);
 * 2. the signed head: its HMAC holds, and it names the chain's real end
 *    (newest events deleted, the table emptied, a rewrite with recomputed
 *    hashes: none of these can produce a head signed with the key);
 * 3. the latest checkpoint (and one held outside, when given): signed, and
 *    the chain still has the event it recorded, with the same hash.
 */

export type Checkpoint = ChainHead & { hmac: string; kind: string; at: Date; source: "database" | "outside" };

export type VerifyResult =
  | {
      ok: true;
      count: number;
      lastId: string | null;
      lastHash: string;
      /** false only between an upgrade and Modelpin's first start (the head is then signed). */
      signed: boolean;
      checkpoint: { at: string; count: number; kind: string } | null;
      outside: { at: string; count: number } | null;
      note: string | null;
    }
  | { ok: false; count: number; brokenAt: string | null; problem: string };

const eventName = (id: bigint | null) => (id === null ? "no event (an empty log)" : `event ${id}`);
const when = (d: Date) => `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;

function fail(count: bigint, brokenAt: bigint | null, problem: string): VerifyResult {
  return { ok: false, count: Number(count), brokenAt: brokenAt === null ? null : brokenAt.toString(), problem };
}

/** Verifies inside one REPEATABLE READ snapshot, so the head, the checkpoint and the events agree in time. */
export async function verifyAuditLog(options: { outside?: Checkpoint } = {}): Promise<VerifyResult> {
  return prisma.$transaction((tx) => verifyAuditChain(tx, options), { isolationLevel: "RepeatableRead", timeout: 600_000, maxWait: 10_000 });
}

/** The three checks on `db` (a client or a transaction); reports the first problem. */
export async function verifyAuditChain(db: Db, options: { batchSize?: number; outside?: Checkpoint } = {}): Promise<VerifyResult> {
  const head = await readHead(db);
  const stored = await latestCheckpoint(db);
  const checkpoints: Checkpoint[] = [];
  if (stored) checkpoints.push({ ...stored, at: stored.createdAt, source: "database" });
  if (options.outside) checkpoints.push(options.outside);
  const walk = await walkChain(db, checkpoints.map((c) => c.count), options.batchSize);
  if (!walk.ok) return fail(walk.count, walk.brokenAt, walk.problem);
  const { tail } = walk;
  const { count, lastId } = tail;

  const key = auditKey();
  if (!head) {
    return fail(count, null, `The audit head is missing (audit_head has no row): it was deleted outside Modelpin. The chain's links hold up to ${eventName(lastId)}; compare with the last checkpoint held outside, then re-anchor (docs/audit.md).`);
  }
  if (head.hmac !== null && !headSignatureOk(head, head.hmac, key)) {
    return fail(
      count,
      null,
      `The audit head's signature does not match its content (${head.count} events up to ${eventName(head.lastId)}): it was changed outside Modelpin, or MODELPIN_ENCRYPTION_KEY is not the key that signed it.`,
    );
  }
  if (head.hmac === null && stored) {
    return fail(count, null, `The audit head is unsigned although checkpoints were recorded (the latest at ${when(stored.createdAt)}): it was reset outside Modelpin.`);
  }
  const headProblem = compareWithHead(tail, head);
  if (headProblem) return fail(count, headProblem.at, headProblem.problem);

  for (const c of checkpoints) {
    const problem = checkpointProblem(c, tail, walk.atPosition.get(c.count), key);
    if (problem) return fail(count, null, problem);
  }
  const outside = options.outside ?? null;
  return {
    ok: true,
    count: Number(count),
    lastId: lastId === null ? null : lastId.toString(),
    lastHash: tail.lastHash,
    signed: head.hmac !== null,
    checkpoint: stored ? { at: stored.createdAt.toISOString(), count: Number(stored.count), kind: stored.kind } : null,
    outside: outside ? { at: outside.at.toISOString(), count: Number(outside.count) } : null,
    note: head.hmac === null ? "The head is not signed yet: Modelpin signs it at its next start or audit event." : null,
  };
}

function compareWithHead(tail: ChainHead, head: ChainHead): { at: bigint | null; problem: string } | null {
  const says = `the signed head says ${head.count} events up to ${eventName(head.lastId)} (hash ${short(head.lastHash)})`;
  if (tail.count < head.count) {
    if (tail.count === 0n) return { at: null, problem: `The audit log is empty, but ${says}: the events were deleted outside Modelpin.` };
    return {
      at: tail.lastId,
      problem: `The newest events are missing: ${says}, but the log ends at ${eventName(tail.lastId)} after ${tail.count} events. Events were deleted outside Modelpin, or an older backup was restored (then re-anchor, docs/audit.md).`,
    };
  }
  if (tail.count > head.count) {
    return { at: tail.lastId, problem: `The log has ${tail.count} events but ${says}: events were added outside Modelpin.` };
  }
  if (tail.lastId !== head.lastId || tail.lastHash !== head.lastHash) {
    return {
      at: tail.lastId,
      problem: `The log does not end where the signed head says: ${says}, the log ends at ${eventName(tail.lastId)} (hash ${short(tail.lastHash)}). The log was rewritten outside Modelpin (hashes recomputed without the key).`,
    };
  }
  return null;
}

function checkpointProblem(c: Checkpoint, tail: ChainHead, found: { id: bigint; hash: string } | undefined, key: Buffer): string | null {
  const name = `${c.source === "outside" ? "The checkpoint given" : "The latest checkpoint"} (${when(c.at)}, ${c.count} events up to ${eventName(c.lastId)})`;
  if (!headSignatureOk(c, c.hmac, key)) return `${name} is not signed with Modelpin's key: it was written outside Modelpin.`;
  if (c.count === 0n) return null;
  if (tail.count < c.count) {
    return `${name} is ahead of the log, which has ${tail.count} events: events recorded at that checkpoint were deleted outside Modelpin, or an older backup was restored (then re-anchor, docs/audit.md).`;
  }
  if (!found || found.id !== c.lastId || found.hash !== c.lastHash) {
    return `${name} does not match the log: its event ${c.lastId} had hash ${short(c.lastHash)}, the log has ${found ? `event ${found.id} with hash ${short(found.hash)}` : "another event"} at that position. The log was rewritten outside Modelpin.`;
  }
  return null;
}
