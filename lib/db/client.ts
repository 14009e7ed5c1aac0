import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { requireDatabaseUrl } from "@/lib/env";

/** One Prisma client per process (kept across hot reloads in development). */
const globalForPrisma = globalThis as unknown as { modelpinPrisma?: PrismaClient };

function createClient(): PrismaClient {
  const adapter = new PrismaPg({ connectionString: requireDatabaseUrl(), max: 10 });
  // Bursts of writes (100 concurrent pin changes, a comparison run) queue for the
  // 10 connections; wait up to 10 s for one instead of Prisma's default 2 s.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 30_000 } });
}

export function getPrisma(): PrismaClient {
  globalForPrisma.modelpinPrisma ??= createClient();
  return globalForPrisma.modelpinPrisma;
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
  if (globalForPrisma.modelpinPrisma) {
    await globalForPrisma.modelpinPrisma.$disconnect();
    globalForPrisma.modelpinPrisma = undefined;
  }
}
