import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { requireDatabaseUrl } from "@/lib/env";
import { createGuardedPool } from "./guarded-pool";
import { untrackPool } from "./pool-registry";

/**
 * One Prisma client per process (kept across hot reloads in development), on
 * its own pg pool so that the pool has Modelpin's timeouts and breaker
 * (lib/db/guarded-pool.ts).
 */
const globalForPrisma = globalThis as unknown as { modelpinPrisma?: { client: PrismaClient; pool: pg.Pool } };

function createClient(): { client: PrismaClient; pool: pg.Pool } {
  const pool = createGuardedPool({ name: "prisma", connectionString: requireDatabaseUrl(), max: 10 });
  const adapter = new PrismaPg(pool);
  // Bursts of writes (100 concurrent pin changes, a comparison run) queue for the
  // 10 connections; wait up to 10 s for one instead of Prisma's default 2 s.
  const client = new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
  return { client, pool };
}

export function getPrisma(): PrismaClient {
  globalForPrisma.modelpinPrisma ??= createClient();
  return globalForPrisma.modelpinPrisma.client;
}

/** Lazily-created client: importing this module never connects. */
export const prisma: PrismaClient = new Proxy({} as PrismaClient, {
  get(_target, prop) {
    const client = getPrisma() as unknown as Record<string | symbol, unknown>;
    const value = client[prop];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(client) : value;
  },
});

export type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

export async function disconnectPrisma(): Promise<void> {
  const current = globalForPrisma.modelpinPrisma;
  if (!current) return;
  globalForPrisma.modelpinPrisma = undefined;
  untrackPool("prisma");
  await current.client.$disconnect().catch(() => undefined);
  await current.pool.end().catch(() => undefined);
}
