/**
 * `npm run functions:sync`: syncs functions and Nyckel's current models once
 * (with drift watch's follow-ups, lib/functions/scheduled-sync.ts), against
 * DATABASE_URL (or the embedded development database when it is unset), as the
 * actor "cli", and prints what changed. The job workers do the same every
 * MODELPIN_SYNC_INTERVAL_SECONDS; `npm test` runs this before the browser tests
 * so every spec starts with the emulator's functions.
 * Exit codes: 0 synced; 1 Nyckel not configured or it refused; 2 anything unexpected.
 */
import { withAppDatabase } from "./cli/app-database";

async function main(): Promise<number> {
  return withAppDatabase(
    async () => {
      const { systemContext } = await import("@/lib/context");
      const { describeSync } = await import("@/lib/functions/service");
      const { syncAndWatch } = await import("@/lib/functions/scheduled-sync");
      const { stopBoss } = await import("@/lib/jobs/boss");
      const { stopNyckelBudget } = await import("@/lib/nyckel/budget/service");
      try {
        const { report, requested } = await syncAndWatch(systemContext("cli"));
        process.stdout.write(`${describeSync(report)}${requested.length ? ` Drift watch: ${requested.length} evaluation(s) requested.` : ""}\n`);
        return 0;
      } finally {
        await stopBoss().catch(() => undefined);
        await stopNyckelBudget().catch(() => undefined);
      }
    },
    { log: (line) => process.stderr.write(`${line}\n`) },
  );
}

main()
  .then((code) => process.exit(code))
  .catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2);
  });
