/** What `audit:verify` and `audit:reanchor` share: the database and the exit code (their options: scripts/cli/args.ts). */
import { UsageError } from "./cli/args";

/**
 * Runs `fn` against DATABASE_URL (or the embedded development database) with
 * the app's Prisma client, disconnecting afterwards.
 */
export async function withAppDatabase(fn: () => Promise<number>): Promise<number> {
  const { withDatabase } = await import("@/scripts/db/database");
  return withDatabase(async (url) => {
    process.env.DATABASE_URL = url;
    const { disconnectPrisma } = await import("@/lib/db/client");
    try {
      return await fn();
    } finally {
      await disconnectPrisma();
    }
  });
}

/** Exits with main's code; a UsageError prints its message and exits 1, anything else 2. */
export function exitWith(main: () => Promise<number>): void {
  main()
    .then((code) => process.exit(code))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(e instanceof UsageError ? 1 : 2);
    });
}
