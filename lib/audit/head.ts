import "server-only";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import type { Tx } from "@/lib/db/client";
import { decodeKey, env } from "@/lib/env";
import { GENESIS_HASH } from "./hash";

/**
 * The audit chain's signed head (docs/audit.md): the number of events, the
 * newest event's id and hash, and an HMAC-SHA256 over the three with a key
 * derived (HKDF) from MODELPIN_ENCRYPTION_KEY, which is not in the database.
 * Someone who can write the database but lacks the key can delete the newest
 * events or rewrite the whole chain with recomputed hashes, but cannot make a
 * head that matches: `audit:verify` reports it.
 */

export type ChainHead = { count: bigint; lastId: bigint | null; lastHash: string };
export type StoredHead = ChainHead & { hmac: string | null; updatedAt: Date };

const HEAD_INFO = "modelpin/audit-head/v1";

/** The head of an empty chain. */
export const EMPTY_HEAD: ChainHead = { count: 0n, lastId: null, lastHash: GENESIS_HASH };

/** HKDF-SHA256 of the 32-byte encryption key, for the audit head only (pure). */
export function deriveAuditKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", encryptionKey, Buffer.alloc(0), HEAD_INFO, 32));
}

let cached: { source: string; key: Buffer } | undefined;

/** The audit key of this process's MODELPIN_ENCRYPTION_KEY. */
export function auditKey(): Buffer {
  const source = env().MODELPIN_ENCRYPTION_KEY;
  if (cached?.source !== source) cached = { source, key: deriveAuditKey(decodeKey(source)!) };
  return cached.key;
}

/** What the HMAC covers: one line each, after a version tag. */
export function headMessage(h: ChainHead): string {
  return `${HEAD_INFO}\n${h.count}\n${h.lastId ?? "-"}\n${h.lastHash}`;
}

export function signHead(h: ChainHead, key: Buffer = auditKey()): string {
  return createHmac("sha256", key).update(headMessage(h)).digest("hex");
}

/** True when `hmac` is the head's signature under `key` (constant-time compare). */
export function headSignatureOk(h: ChainHead, hmac: string | null, key: Buffer = auditKey()): boolean {
  if (!hmac || !/^[0-9a-f]{64}$/.test(hmac)) return false;
  return timingSafeEqual(Buffer.from(hmac, "hex"), Buffer.from(signHead(h, key), "hex"));
}

type HeadRow = { count: bigint; lastId: bigint | null; lastHash: string; hmac: string | null; updatedAt: Date };

type RawDb = Pick<Tx, "$queryRaw">;

/** The head as stored, or null when its row is missing (it never is, unless removed outside Modelpin). */
export async function readHead(db: RawDb): Promise<StoredHead | null> {
  const [row] = await db.$queryRaw<HeadRow[]>`
    SELECT event_count AS "count", last_event_id AS "lastId", last_hash AS "lastHash", hmac, updated_at AS "updatedAt"
    FROM audit_head WHERE id = 1`;
  return row ?? null;
}

/**
 * Locks the head row for the rest of the transaction: every append (and a
 * checkpoint or re-anchor) takes this lock, so they run one at a time and the
 * chain stays one line. It is the last lock of the documented order
 * (request → pin → model → audit).
 */
export async function lockHead(tx: Tx): Promise<StoredHead> {
  const [row] = await tx.$queryRaw<HeadRow[]>`
    SELECT event_count AS "count", last_event_id AS "lastId", last_hash AS "lastHash", hmac, updated_at AS "updatedAt"
    FROM audit_head WHERE id = 1 FOR UPDATE`;
  if (row) return row;
  // Only after someone removed it outside Modelpin (the database refuses DELETE): write an unsigned, empty one
  // so Modelpin keeps working; verify reports the chain against it.
  await tx.$executeRaw`INSERT INTO audit_head (id, event_count, last_event_id, last_hash, hmac) VALUES (1, 0, NULL, ${GENESIS_HASH}, NULL) ON CONFLICT (id) DO NOTHING`;
  return lockHead(tx);
}

export async function writeHead(tx: Tx, h: ChainHead, hmac: string | null): Promise<void> {
  await tx.$executeRaw`
    UPDATE audit_head SET event_count = ${h.count}, last_event_id = ${h.lastId}, last_hash = ${h.lastHash}, hmac = ${hmac}, updated_at = now()
    WHERE id = 1`;
}

/**
 * Whether an unsigned head may be signed as it is: only the head a migration
 * built from an existing chain, before any checkpoint was recorded, and only
 * while it still describes the table (count, newest id and hash).
 */
export async function unsignedHeadAdoptable(tx: Tx, head: ChainHead): Promise<boolean> {
  const [checkpoint] = await tx.$queryRaw<{ id: bigint }[]>`SELECT id FROM audit_checkpoints LIMIT 1`;
  if (checkpoint) return false;
  const [newest] = await tx.$queryRaw<{ id: bigint; hash: string }[]>`SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1`;
  if ((newest?.id ?? null) !== head.lastId || (newest?.hash ?? GENESIS_HASH) !== head.lastHash) return false;
  const [{ count }] = (await tx.$queryRaw<{ count: bigint }[]>`SELECT count(*) AS count FROM audit_events`) as [{ count: bigint }];
  return count === head.count;
}

/**
 * May an append sign the head that follows this one? Yes when this head's
 * signature holds, or it is an adoptable unsigned head. Otherwise the append
 * still happens (Modelpin keeps working) but the head stays unsigned or
 * wrongly signed, so verify keeps reporting it until an admin re-anchors.
 */
export async function headTrusted(tx: Tx, head: StoredHead): Promise<boolean> {
  if (head.hmac !== null) return headSignatureOk(head, head.hmac);
  return unsignedHeadAdoptable(tx, head);
}

/** A recorded checkpoint (lib/audit/checkpoint.ts). */
export type CheckpointRow = { id: bigint; kind: string; count: bigint; lastId: bigint | null; lastHash: string; hmac: string; createdAt: Date };

export async function latestCheckpoint(db: Pick<Tx, "$queryRaw">): Promise<CheckpointRow | null> {
  const [row] = await db.$queryRaw<CheckpointRow[]>`
    SELECT id, kind, event_count AS "count", last_event_id AS "lastId", last_hash AS "lastHash", hmac, created_at AS "createdAt"
    FROM audit_checkpoints ORDER BY id DESC LIMIT 1`;
  return row ?? null;
}
