/**
 * The small CLIs that act through the app's services (token:create, functions:sync): DATABASE_URL
 * (or the embedded development database) for the app's modules, an expected error printed for the
 * person at the terminal (exit 1), Prisma disconnected at the end. Anything else is thrown (exit 2).
 */
import { withDatabase } from "@/scripts/db/database";

export async function withAppDatabase(
  run: () => Promise<number>,
  options: { log: (line: string) => void; expected?: (e: unknown) => boolean },
): Promise<number> {
  return withDatabase(
    async (url) => {
      process.env.DATABASE_URL = url;
      const { disconnectPrisma } = await import("@/lib/db/client");
      const { isExpectedError } = await import("@/lib/errors");
      try {
        return await run();
      } catch (e) {
        if (e instanceof Error && (isExpectedError(e) || options.expected?.(e))) {
          options.log(e.message);
          return 1;
        }
        throw e;
      } finally {
        await disconnectPrisma();
      }
    },
    { log: (line) => options.log(`[database] ${line}`) },
  );
}
