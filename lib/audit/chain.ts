import "server-only";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { GENESIS_HASH, eventHash } from "./hash";
import type { ChainHead } from "./head";

export type ChainDb = Pick<PrismaClient, "auditEvent" | "$queryRaw">;

export type ChainWalk =
  | { ok: true; tail: ChainHead; atPosition: Map<bigint, { id: bigint; hash: string }> }
  | { ok: false; count: bigint; brokenAt: bigint; problem: string };

export const shortHash = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * Walks the whole chain in id order (or on from `from`, an end an earlier walk
 * checked), checking each link: the event hashes to what it stores and names
 * the previous event's hash. Returns the chain's end, and the event at each of
 * `positions` (event counts) the walk passed, or the first broken link.
 */
export async function walkChain(db: ChainDb, positions: readonly bigint[] = [], batchSize = 5000, from: ChainHead | null = null): Promise<ChainWalk> {
  const atPosition = new Map<bigint, { id: bigint; hash: string }>();
  const wanted = new Set(positions);
  // From the start, or on from an end an earlier walk checked.
  let prev = from?.lastHash ?? GENESIS_HASH;
  let count = from?.count ?? 0n;
  let lastId: bigint | null = from?.lastId ?? null;
  let cursor: bigint | undefined = lastId ?? undefined;
  for (;;) {
    const rows = await db.auditEvent.findMany({ where: cursor === undefined ? {} : { id: { gt: cursor } }, orderBy: { id: "asc" }, take: batchSize });
    for (const row of rows) {
      if (row.prevHash !== prev) {
        return {
          ok: false,
          count,
          brokenAt: row.id,
          problem: `event ${row.id} says the previous hash is ${shortHash(row.prevHash)}, but the previous event hashes to ${shortHash(prev)} (an event before it was changed, removed or inserted)`,
        };
      }
      const expected = eventHash(row);
      if (expected !== row.hash) {
        return {
          ok: false,
          count,
          brokenAt: row.id,
          problem: `event ${row.id} (${row.action}) was changed after it was written: its content hashes to ${shortHash(expected)}, stored ${shortHash(row.hash)}`,
        };
      }
      prev = row.hash;
      count++;
      lastId = row.id;
      if (wanted.has(count)) atPosition.set(count, { id: row.id, hash: row.hash });
    }
    if (rows.length < batchSize) break;
    cursor = rows[rows.length - 1]!.id;
  }
  return { ok: true, tail: { count, lastId, lastHash: prev }, atPosition };
}
