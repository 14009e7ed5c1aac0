/** What `audit:verify` and `audit:reanchor` share: options (`--name value` or `--name=value`, each at most once), the database, the exit code. */
export class UsageError extends Error {}

export function parseOptions(argv: string[], allowed: readonly string[]): Record<string, string> | "help" {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === "--help" || raw === "-h") return "help";
    if (!raw.startsWith("--")) throw new UsageError(`Unexpected argument "${raw}".`);
    const eq = raw.indexOf("=");
    const flag = eq === -1 ? raw : raw.slice(0, eq);
    if (!allowed.includes(flag)) throw new UsageError(`Unknown option "${flag}".`);
    const value = eq === -1 ? argv[i + 1] : raw.slice(eq + 1);
    if (eq === -1) {
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value.`);
      i++;
    }
    if (flag in values) throw new UsageError(`${flag} was given twice.`);
    values[flag] = value!;
  }
  return values;
}

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
