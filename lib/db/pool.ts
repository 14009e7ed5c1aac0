import "server-only";
import type pg from "pg";
import { requireDatabaseUrl } from "@/lib/env";
import { createGuardedPool } from "./guarded-pool";
import { untrackPool } from "./pool-registry";

/**
 * A small plain `pg` pool beside the Prisma client, for long streaming reads
 * (the audit export walks millions of rows in keyset batches) and the serving
 * usage counters. Prisma's raw queries allocate several times more per row,
 * which shows as hundreds of MB of heap growth over a million-row export;
 * plain pg keeps it flat. Lazily created, one per process, with the same
 * timeouts and breaker as every pool (lib/db/guarded-pool.ts).
 */
const globalForPool = globalThis as unknown as { modelpinPgPool?: pg.Pool };

export function getPgPool(): pg.Pool {
  globalForPool.modelpinPgPool ??= createGuardedPool({ name: "pg", connectionString: requireDatabaseUrl(), max: 4 });
  return globalForPool.modelpinPgPool;
}

export async function closePgPool(): Promise<void> {
  const pool = globalForPool.modelpinPgPool;
  globalForPool.modelpinPgPool = undefined;
  untrackPool("pg");
  await pool?.end();
}
