/**
 * `npm run audit:verify`: walks the audit log's hash chain. Prints
 * "ok N events" (exit 0) or the first broken link (exit 1).
 */
import { withDatabase } from "@/lib/db/database-url";

async function main(): Promise<number> {
  return withDatabase(async (url) => {
    process.env.DATABASE_URL = url;
    const { prisma, disconnectPrisma } = await import("@/lib/db/client");
    const { verifyAuditChain } = await import("@/lib/audit/verify");
    try {
      const result = await verifyAuditChain(prisma);
      if (result.ok) {
        console.log(`ok ${result.count} events`);
        return 0;
      }
      console.log(`broken at event ${result.brokenAt} (after ${result.count} good events): ${result.problem}`);
      return 1;
    } finally {
      await disconnectPrisma();
    }
  });
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  });
