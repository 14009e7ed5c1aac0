/**
 * `npm run worker`: runs Modelpin's job workers (lib/jobs/workers.ts) in their own
 * process. Start the web servers with MODELPIN_WORKERS=off when you use it.
 * Uses DATABASE_URL, or the embedded PostgreSQL when unset.
 */
import { resolveDatabase } from "@/lib/db/database-url";

async function main() {
  const db = await resolveDatabase({ log: (l) => console.log(`[worker] ${l}`) });
  process.env.DATABASE_URL = db.url;
  const { setNyckelBudgetRole } = await import("@/lib/nyckel/budget/service");
  setNyckelBudgetRole("worker"); // never serves proxy traffic: no serving floor for it
  const { startJobWorkers } = await import("@/lib/jobs/workers");
  const { stopBoss } = await import("@/lib/jobs/boss");
  const started = await startJobWorkers();
  console.log(`[worker] workers started (${started.join(", ")}); Ctrl-C stops them`);
  const stop = async () => {
    await stopBoss().catch(() => undefined);
    await db.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
