import "server-only";
import pg from "pg";
import { requireDatabaseUrl } from "@/lib/env";

/**
 * A small plain `pg` pool beside the Prisma client, for long streaming reads
 * (the audit export walks millions of rows in keyset batches). Prisma's raw
 * queries allocate several times more per row, which shows as hundreds of MB
 * of heap growth over a million-row export; plain pg keeps it flat.
 * Lazily created, one per process.
 */
const globalForPool = globalThis as unknown as { modelpinPgPool?: pg.Pool };

export function getPgPool(): pg.Pool {
  if (!globalForPool.modelpinPgPool) {
    const pool = new pg.Pool({ connectionString: requireDatabaseUrl(), max: 4, idleTimeoutMillis: 30_000 });
    pool.on("error", () => undefined); // an idle client's error (server restart) must not crash the process
    globalForPool.modelpinPgPool = pool;
  }
  return globalForPool.modelpinPgPool;
}

export async function closePgPool(): Promise<void> {
  const pool = globalForPool.modelpinPgPool;
  globalForPool.modelpinPgPool = undefined;
  await pool?.end();
}
