/**
 * The app's database, job queue and Nyckel budget for a bench or script that runs the
 * app's services in its own process. The app's modules read the configuration on first
 * use: call this only after setting DATABASE_URL (and Nyckel's settings). `stop` ends
 * them in the one safe order: the budget's leases, the queue, then the database.
 */
export async function appRuntime() {
  const { prisma, disconnectPrisma } = await import("@/lib/db/client");
  const { stopBoss } = await import("@/lib/jobs/boss");
  const { stopNyckelBudget } = await import("@/lib/nyckel/budget/service");
  const stop = async () => {
    for (const s of [stopNyckelBudget, stopBoss, disconnectPrisma]) await s().catch((e: unknown) => console.error(e));
  };
  return { prisma, stop };
}
