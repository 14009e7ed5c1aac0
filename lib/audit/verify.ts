import "server-only";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { GENESIS_HASH, eventHash } from "./hash";

export type VerifyResult =
  | { ok: true; count: number; lastHash: string }
  | { ok: false; count: number; brokenAt: string; problem: string };

/** Walks the whole chain in id order and reports the first broken link. */
export async function verifyAuditChain(db: Pick<PrismaClient, "auditEvent">, batchSize = 5000): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
  let count = 0;
  let cursor: bigint | undefined;
  for (;;) {
    const rows = await db.auditEvent.findMany({
      where: cursor === undefined ? {} : { id: { gt: cursor } },
      orderBy: { id: "asc" },
      take: batchSize,
    });
    for (const row of rows) {
      if (row.prevHash !== prev) {
        return {
          ok: false,
          count,
          brokenAt: row.id.toString(),
          problem: `event ${row.id} says the previous hash is ${row.prevHash.slice(0, 12)}…, but the previous event hashes to ${prev.slice(0, 12)}… (an event before it was changed, removed or inserted)`,
        };
      }
      const expected = eventHash(row);
      if (expected !== row.hash) {
        return {
          ok: false,
          count,
          brokenAt: row.id.toString(),
          problem: `event ${row.id} (${row.action}) was changed after it was written: its content hashes to ${expected.slice(0, 12)}…, stored ${row.hash.slice(0, 12)}…`,
        };
      }
      prev = row.hash;
      count++;
    }
    if (rows.length < batchSize) break;
    cursor = rows[rows.length - 1]!.id;
  }
  return { ok: true, count, lastHash: prev };
}
