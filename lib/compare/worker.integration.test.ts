import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemContext } from "@/lib/context";
import { repoRoot } from "@/scripts/db/database";
import { disconnectPrisma, prisma } from "@/lib/db/client";
import { env } from "@/lib/env";
import { QUEUES, stopBoss } from "@/lib/jobs/boss";
import { inputDigest } from "@/scripts/emulator/models";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { saveNyckelSettings } from "@/lib/nyckel-settings/service";
import { parseTextLines } from "@/lib/samples/parse";
import { createSampleSet } from "@/lib/samples/service";
import { defaultRunConcurrency } from "./runner";
import { startComparisonRun } from "./service";
import { failComparisonRun, requeueOrphanedRuns } from "./worker";

/**
 * The crash test: a run whose worker process is killed with SIGKILL mid-way
 * resumes in a new worker process, and no (sample, model) whose result was stored is
 * invoked again. Only the requests in flight at the kill (invoked, not stored) may be
 * sent twice, and there are at most as many of them as the runner's concurrency.
 *
 * The emulator runs in this process, so its invoke log (arrival time, input digest,
 * modelId of every request) outlives the workers. The workers are the real
 * `scripts/worker.ts`, started through tsx like `npm run worker`, as their own
 * process group: tsx runs the script in a child node process (plus an esbuild
 * service), so the kill goes to the whole group, as a container or systemd kill would.
 */

const SAMPLES = 240;
/** The client's concurrency in the workers (NYCKEL_MAX_CONCURRENCY); the runner's follows from it. */
const CLIENT_CONCURRENCY = 10;
const RUNNER_CONCURRENCY = defaultRunConcurrency({ concurrency: CLIENT_CONCURRENCY });
const fn = seededFunction("support-triage");
const [MODEL_A, MODEL_B] = [fn.modelIds[0]!, fn.modelIds[1]!];
const sys = systemContext("test");

let emulator: EmulatorHandle;
const workers: Array<{ child: ChildProcess; output: string[] }> = [];

/** Kills every worker process group that is still alive (also on an aborted run). */
function killAllWorkers(): void {
  for (const { child } of workers) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${workerOutput()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function workerOutput(): string {
  return workers.map((w, i) => `--- worker ${i + 1} output ---\n${w.output.join("").slice(-4000)}`).join("\n");
}

/** `npm run worker`, as its own process group, against the test database and the emulator saved in Settings. */
function startWorker(): { child: ChildProcess; exited: Promise<void> } {
  const root = repoRoot();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL,
    // The same key this process encrypted the saved Nyckel secret with.
    MODELPIN_ENCRYPTION_KEY: env().MODELPIN_ENCRYPTION_KEY,
    NYCKEL_RATE_LIMIT_RPS: "200",
    NYCKEL_MAX_CONCURRENCY: String(CLIENT_CONCURRENCY),
    LOG_LEVEL: "warn",
  };
  // The Nyckel connection must be the one saved in Settings (the emulator), not one from the environment.
  for (const name of ["NYCKEL_CLIENT_ID", "NYCKEL_CLIENT_SECRET", "NYCKEL_BASE_URL", "NYCKEL_EMULATOR_URL"]) delete childEnv[name];
  const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/worker.ts"], {
    cwd: root,
    env: childEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
  workers.push({ child, output });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, exited };
}

beforeAll(async () => {
  process.once("exit", killAllWorkers);
  // No server-side limits (the workers' limiter is the only one, so there are no 429s and
  // no retries: every repeated (sample, model) comes from the crash), 100–200 ms per invoke.
  emulator = await startEmulator({ port: 0, quiet: true, rateLimit: false, faults: { pathIncludes: "/invoke", latencyRangeMs: [100, 200] }, invokeLogSize: 50_000 });
  await saveNyckelSettings(sys, { baseUrl: emulator.url, clientId: emulator.state.clientId, clientSecret: emulator.state.clientSecret });
});

afterAll(async () => {
  killAllWorkers();
  process.off("exit", killAllWorkers);
  await stopBoss();
  await emulator?.close();
  await disconnectPrisma();
});

describe("comparison worker killed with SIGKILL (real worker processes, real PostgreSQL)", () => {
  it("resumes after a restart: stored results are never invoked again, only the requests in flight at the kill are", async () => {
    const tag = randomBytes(4).toString("hex");
    await prisma.nyckelFunction.upsert({
      where: { id: fn.id },
      create: { id: fn.id, name: fn.name, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() },
      update: {},
    });
    const models = await Promise.all(
      [MODEL_A, MODEL_B].map((modelId) =>
        prisma.model.upsert({ where: { functionId_modelId: { functionId: fn.id, modelId } }, create: { functionId: fn.id, modelId, nickname: modelId }, update: { retiredAt: null } }),
      ),
    );
    const texts = Array.from({ length: SAMPLES }, (_, i) => `kill test ${tag} ticket ${i}: my ${["invoice", "password", "order", "screen", "refund"][i % 5]} is wrong`);
    const set = await createSampleSet(sys, { functionId: fn.id, name: `kill-${tag}`, result: parseTextLines(texts.join("\n"), { inputKind: "text" }) });
    const samples = await prisma.sample.findMany({ where: { sampleSetId: set.id }, select: { id: true, text: true } });
    expect(samples).toHaveLength(SAMPLES);
    // Which sample a logged request carried: the emulator logs a digest of each input.
    const sampleByDigest = new Map(samples.map((s) => [inputDigest({ kind: "text", text: s.text! }), s.id]));
    const sideOf = (modelId: string | null) => (modelId === MODEL_A ? "a" : modelId === MODEL_B ? "b" : null);

    /** (sample:side) → how often the emulator received it, optionally only requests that arrived in [from, to). */
    const invoked = (from = -Infinity, to = Infinity) => {
      const pairs = new Map<string, number>();
      for (const e of emulator.state.recentInvokes()) {
        const sampleId = e.inputDigest ? sampleByDigest.get(e.inputDigest) : undefined;
        const side = sideOf(e.modelIdParam);
        const at = Date.parse(e.receivedAt);
        if (!sampleId || !side || at < from || at >= to) continue;
        const key = `${sampleId}:${side}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
      return pairs;
    };
    const stored = async () =>
      new Set((await prisma.comparisonResult.findMany({ where: { runId: run.id }, select: { sampleId: true, side: true } })).map((r) => `${r.sampleId}:${r.side}`));

    // The run, through the real service: a pg-boss job.
    const run = await startComparisonRun(sys, { functionId: fn.id, sampleSetId: set.id, modelA: { kind: "model", modelRefId: models[0]!.id }, modelB: { kind: "model", modelRefId: models[1]!.id } });
    expect(run.total).toBe(SAMPLES);

    // Worker 1 runs until a good part, but not all, of the results are stored; then SIGKILL.
    const first = startWorker();
    const storedBefore = await waitFor(
      "worker 1 to store 40% of the results",
      async () => {
        const n = await prisma.comparisonResult.count({ where: { runId: run.id } });
        return n >= SAMPLES * 2 * 0.4 ? n : undefined;
      },
      45_000,
      25,
    );
    const killedAt = Date.now();
    process.kill(-first.child.pid!, "SIGKILL");
    await first.exited;
    // No orphan: tsx's child node process and its esbuild service die with the group.
    await waitFor("worker 1's process group to be gone", async () => !groupAlive(first.child.pid!), 5_000);
    // A statement PostgreSQL had received before the kill still commits: look once the count stands still.
    let storedAtKill = await stored();
    for (;;) {
      await new Promise((r) => setTimeout(r, 400));
      const again = await stored();
      if (again.size === storedAtKill.size) break;
      storedAtKill = again;
    }
    const runAtKill = await prisma.comparisonRun.findUniqueOrThrow({ where: { id: run.id }, select: { status: true } });
    expect(runAtKill.status).toBe("running");
    expect(storedAtKill.size).toBeGreaterThanOrEqual(storedBefore);
    expect(storedAtKill.size).toBeLessThan(SAMPLES * 2);

    // Worker 2. Everything the emulator received before it started came from worker 1.
    await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 1000 - Date.now())));
    const restartedAt = Date.now();
    const second = startWorker();
    await waitFor(
      "the resumed run to finish",
      async () => (await prisma.comparisonRun.findUniqueOrThrow({ where: { id: run.id }, select: { status: true } })).status === "finished",
      60_000,
      100,
    );
    const finishedAt = Date.now();
    process.kill(-second.child.pid!, "SIGTERM");
    await second.exited;
    await waitFor("worker 2's process group to be gone", async () => !groupAlive(second.child.pid!), 10_000);

    // Every sample recorded exactly once per side, all answered.
    const results = await prisma.comparisonResult.findMany({ where: { runId: run.id }, select: { sampleId: true, side: true, ok: true } });
    expect(results).toHaveLength(SAMPLES * 2);
    expect(new Set(results.map((r) => `${r.sampleId}:${r.side}`)).size).toBe(SAMPLES * 2);
    expect(results.every((r) => r.ok)).toBe(true);

    const byWorker1 = invoked(-Infinity, restartedAt);
    const byWorker2 = invoked(restartedAt);
    const all = invoked();
    // Every (sample, model) was invoked, each with its own modelId.
    expect(all.size).toBe(SAMPLES * 2);
    // Worker 1 sent everything it stored; in flight at the kill = invoked by worker 1, not stored.
    for (const key of storedAtKill) expect(byWorker1.has(key)).toBe(true);
    const inFlightAtKill = [...byWorker1.keys()].filter((key) => !storedAtKill.has(key));
    // Nothing stored before the kill was invoked again.
    const storedAndReinvoked = [...storedAtKill].filter((key) => byWorker2.has(key));
    expect(storedAndReinvoked).toEqual([]);
    // Invoked more than once = exactly the requests in flight at the kill (each needed an
    // answer, so worker 2 had to send it again), at most the runner's concurrency of them.
    const reinvoked = [...all].filter(([, n]) => n > 1).map(([key]) => key);
    expect(reinvoked.sort()).toEqual([...inFlightAtKill].sort());
    expect(reinvoked.length).toBeLessThanOrEqual(RUNNER_CONCURRENCY);
    expect(Math.max(...all.values())).toBeLessThanOrEqual(2);
    // Worker 2 sent exactly what was missing.
    expect(byWorker2.size).toBe(SAMPLES * 2 - storedAtKill.size);
    // The client never had more requests in flight than its concurrency.
    expect(emulator.state.counters().maxInFlight).toBeLessThanOrEqual(CLIENT_CONCURRENCY);

    // The resume did not wait for pg-boss to expire the killed job (6 h): worker 2's
    // start-up re-queues unfinished runs and takes the run over.
    const firstResumedInvoke = Math.min(
      ...emulator.state.recentInvokes().map((e) => Date.parse(e.receivedAt)).filter((t) => t >= restartedAt),
    );
    expect(finishedAt - restartedAt).toBeLessThan(60_000);
    console.info(
      `[kill test] ${SAMPLES} samples, runner concurrency ${RUNNER_CONCURRENCY} (client ${CLIENT_CONCURRENCY}): ${storedAtKill.size} of ${SAMPLES * 2} results stored at the kill, ` +
        `${inFlightAtKill.length} in flight (invoked, not stored) and invoked again; worker 2 sent its first invoke ` +
        `${firstResumedInvoke - restartedAt} ms after it was spawned and finished the run ${finishedAt - restartedAt} ms after`,
    );
  }, 150_000);

  it("re-queues a started run that no process is executing (its worker killed while others run on), and leaves a locked one alone", async () => {
    const set = await prisma.sampleSet.findFirstOrThrow({ where: { functionId: fn.id, deletedAt: null }, select: { id: true } });
    const run = await prisma.comparisonRun.create({
      data: { functionId: fn.id, sampleSetId: set.id, modelA: MODEL_A, modelALabel: MODEL_A, modelB: MODEL_B, modelBLabel: MODEL_B, status: "running", total: 1, createdByLabel: "test" },
    });
    const queuedJobs = async () =>
      Number(
        (await prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM pgboss.job WHERE name = ${QUEUES.comparisonRun} AND state = 'created' AND data->>'runId' = ${run.id}`)[0]!.n,
      );
    // Executing somewhere: the run's advisory lock is held (here by another connection).
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtext($1))", [`comparison-run:${run.id}`]);
      expect(await requeueOrphanedRuns()).not.toContain(run.id);
      expect(await queuedJobs()).toBe(0);
    } finally {
      await holder.end(); // the lock goes with the connection, as with a killed worker
    }
    expect(await requeueOrphanedRuns()).toContain(run.id);
    expect(await queuedJobs()).toBe(1);
    await prisma.comparisonRun.update({ where: { id: run.id }, data: { status: "cancelled" } });
  });

  it("ends a run that keeps failing as failed, with its reason and an audit event; an ended run stays as it is", async () => {
    const set = await prisma.sampleSet.findFirstOrThrow({ where: { functionId: fn.id, deletedAt: null }, select: { id: true } });
    const create = (status: string) =>
      prisma.comparisonRun.create({
        data: { functionId: fn.id, sampleSetId: set.id, modelA: MODEL_A, modelALabel: MODEL_A, modelB: null, modelBLabel: "latest", status, total: 1, createdByLabel: "test" },
      });
    const running = await create("running");
    expect(await failComparisonRun(running.id, "The run stopped after repeated errors.")).toBe(true);
    expect(await prisma.comparisonRun.findUniqueOrThrow({ where: { id: running.id } })).toMatchObject({ status: "failed", error: "The run stopped after repeated errors.", finishedAt: expect.any(Date) });
    const events = await prisma.auditEvent.findMany({ where: { targetId: running.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: "comparison.failed", before: { status: "running" }, after: { status: "failed", error: "The run stopped after repeated errors." } });
    // Once ended, nothing changes: not again, and not a finished run.
    expect(await failComparisonRun(running.id, "again")).toBe(false);
    const finished = await create("finished");
    expect(await failComparisonRun(finished.id, "late")).toBe(false);
    expect((await prisma.comparisonRun.findUniqueOrThrow({ where: { id: finished.id } })).status).toBe("finished");
    expect(await prisma.auditEvent.count({ where: { targetId: { in: [running.id, finished.id] } } })).toBe(1);
  });
});
