/**
 * Test-only helpers: tampering with the database as someone with the owner's
 * rights would (user triggers switched off), through the connection the
 * integration setup provides for the owner role (`ownerDatabaseUrl`; the app
 * role may not disable triggers). Not imported by app code.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { inject } from "vitest";
import type { Tx } from "@/lib/db/client";
import { PrismaClient } from "@/lib/generated/prisma/client";

export function ownerClient(url: string = inject("ownerDatabaseUrl")): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}

class Rollback extends Error {}

/**
 * Runs `fn` in one transaction with the user triggers of `tables` disabled,
 * then rolls everything back (the shared test database stays intact), and
 * returns what `fn` returned — typically what verify saw in the tampered state.
 */
export async function tamperAndRollback<T>(owner: PrismaClient, tables: readonly string[], fn: (tx: Tx) => Promise<T>): Promise<T> {
  let out: { value: T } | undefined;
  await owner
    .$transaction(
      async (tx) => {
        for (const t of tables) await tx.$executeRawUnsafe(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
        out = { value: await fn(tx) };
        throw new Rollback();
      },
      { timeout: 60_000, maxWait: 10_000 },
    )
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return out!.value;
}

/** Like tamperAndRollback, but commits (triggers re-enabled before the commit). */
export async function tamperAndCommit(owner: PrismaClient, tables: readonly string[], fn: (tx: Tx) => Promise<void>): Promise<void> {
  await owner.$transaction(
    async (tx) => {
      for (const t of tables) await tx.$executeRawUnsafe(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
      await fn(tx);
      for (const t of tables) await tx.$executeRawUnsafe(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}
