/**
 * `npm run worker`: runs Modelpin's job workers (lib/workers.ts) in their own
 * process, as MODELPIN_ROLE=worker. Start the web servers with MODELPIN_ROLE=web
 * (or serve) when you use it. Uses DATABASE_URL, or the embedded PostgreSQL when unset.
 * Ctrl-C stops the workers (waiting for running jobs up to 10 s), then the
 * embedded PostgreSQL if this command started it: one line each.
 */
import { resolveDatabase } from "@/scripts/db/database";

async function main() {
  process.env.MODELPIN_ROLE = "worker";
  const log = (line: string) => console.log(`[worker] ${line}`);
  const db = await resolveDatabase({ log, ownProcessGroup: true });
  process.env.DATABASE_URL = db.url;
  const { setNyckelBudgetRole } = await import("@/lib/nyckel/budget/service");
  setNyckelBudgetRole("worker"); // never serves proxy traffic: no serving floor for it
  const { startJobWorkers } = await import("@/lib/workers");
  const { stopBoss } = await import("@/lib/jobs/boss");
  const { disconnectPrisma } = await import("@/lib/db/client");
  const { closePgPool } = await import("@/lib/db/pool");
  const started = await startJobWorkers();
  log(`workers started (${started.join(", ")}); Ctrl-C stops them`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write("\n");
    await stopBoss().catch(() => undefined);
    await disconnectPrisma().catch(() => undefined);
    await closePgPool().catch(() => undefined);
    log("stopped the job workers");
    await db.stop();
    if (db.source === "embedded") log("stopped PostgreSQL");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
