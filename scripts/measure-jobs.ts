/**
 * `tsx --conditions=react-server scripts/measure-jobs.ts`: pg-boss throughput on
 * its own embedded PostgreSQL with Modelpin's job-queue settings (docs/scaling.md):
 * - send: 2,000 jobs one `send` at a time (how webhook events and comparison runs enqueue);
 * - work: as the webhook worker does (4 workers, batch size 1, each asking for the next job at once
 *   with notifyWorker; pg-boss alone would wait its 1 s polling interval after every batch), and
 *   one worker with batch size 20 and the plain 1 s polling; no-op handlers, jobs completed per second.
 * Prints `RESULT send_per_s=… work_webhook_style_per_s=… work_batch20_poll_per_s=…`.
 */
import PgBoss from "pg-boss";
import { repoRoot } from "@/scripts/db/database";
import { stopOnSignals } from "@/scripts/db/embedded";
import { timeoutOptions } from "@/lib/db/timeouts";
import { scratchDatabase } from "./bench/postgres";

const JOBS = 1_000;

async function drain(boss: PgBoss, queue: string, batchSize: number, workers: number, notify: boolean): Promise<number> {
  let done = 0;
  const started = performance.now();
  const ids: string[] = [];
  await new Promise<void>((resolve) => {
    for (let w = 0; w < workers; w++) {
      const self: { id?: string } = {};
      void boss
        .work(queue, { batchSize, pollingIntervalSeconds: 1 }, async (jobs) => {
          done += jobs.length;
          if (done >= JOBS) resolve();
          else if (notify && self.id) setImmediate(() => boss.notifyWorker(self.id!));
        })
        .then((id) => {
          self.id = id;
          ids.push(id);
        });
    }
  });
  const seconds = (performance.now() - started) / 1000;
  await boss.offWork(queue);
  return JOBS / seconds;
}

async function main() {
  process.chdir(repoRoot());
  const postgres = await scratchDatabase("measure-jobs", (line) => console.log(`[measure] ${line}`));
  stopOnSignals(postgres);
  // As the owner: it creates queues of its own (tables), which the app role may not.
  const boss = new PgBoss({ connectionString: postgres.ownerUrl, schema: "pgboss", max: 10, ...timeoutOptions("jobs") });
  boss.on("error", () => undefined);
  try {
    await boss.start();
    const rates: number[] = [];
    for (const queue of ["measure-send", "measure-batch20"]) {
      await boss.createQueue(queue);
      const started = performance.now();
      for (let i = 0; i < JOBS; i++) await boss.send(queue, { i });
      rates.push(JOBS / ((performance.now() - started) / 1000));
    }
    const webhookStyle = await drain(boss, "measure-send", 1, 4, true);
    const batch20 = await drain(boss, "measure-batch20", 20, 1, false);
    console.log(`RESULT send_per_s=${Math.round(Math.min(...rates))} work_webhook_style_per_s=${Math.round(webhookStyle)} work_batch20_poll_per_s=${Math.round(batch20)}`);
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await postgres.stop();
  }
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
