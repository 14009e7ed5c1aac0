/**
 * `npm run bench:budget` (tsx --conditions=react-server scripts/bench-budget.ts):
 * one Nyckel budget shared by every process (docs/budget.md), under load.
 *
 * Starts, and stops at the end: a throw-away embedded PostgreSQL; the emulator with
 * Nyckel's limits (25 requests per sliding second, 25 in flight) and an invoke latency
 * (`--latency`, default 20-60 ms); TWO production servers (`next start`, MODELPIN_WORKERS=off,
 * built when missing or stale into NEXT_DIST_DIR, default `.next-bench`; SKIP_BUILD=1 reuses
 * any build there) and ONE `npm run worker`, all on that database. Then a comparison of
 * `--samples` (1000) texts × 2 models runs in the worker while a client sends proxy traffic
 * through both servers, alternating, at `--rate` (10) requests per second, open loop, for the
 * whole run.
 *
 * Last line: `RESULT nyckel_429=<429s the emulator sent> serving_refused=<proxy answers that
 * were not 2xx> total_rate_ratio=<invokes the emulator answered per second during the run ÷ 25>
 * serving_p99_ms=<p99 of the proxy answers>`. Goals: 0, 0, ≥ 0.9. `--debug` prints each
 * process's published use and demand every 500 ms, and when the refused requests were sent.
 */
import { appRuntime } from "./bench/app-modules";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startNextServer, type NextServerHandle } from "@/scripts/testing/next-server";
import { repoRoot } from "@/scripts/db/database";
import { startEmulator } from "./emulator/server";
import { seededFunction } from "./emulator/seed";
import { freePort } from "@/scripts/testing/free-port";
import { percentile } from "@/lib/compare/stats";
import { cliOptions, exitWithMain } from "./cli/args";
import { appEnv, ensureBuild, runBin } from "./bench/build";
import { scratchDatabase } from "./bench/postgres";
import { runComparisonToEnd, sampleText, seedBenchEnvironment } from "./bench/world";

const args = cliOptions({
  samples: { type: "string", default: "1000" },
  rate: { type: "string", default: "10" },
  latency: { type: "string", default: "20-60" },
  debug: { type: "boolean", default: false },
  rebuild: { type: "boolean", default: false },
});
const SAMPLES = Number(args.samples);
const RATE = Number(args.rate);
const LATENCY = args.latency;
const LIMIT = 25;
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench";
const RUN_TIMEOUT_MS = 6 * 60_000;
const ENVIRONMENT = "bench";
const log = (line: string) => console.log(`[bench:budget] ${line}`);

async function main(): Promise<number> {
  process.chdir(repoRoot());
  const started = performance.now();
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => console.error(e));
  };
  const onSignal = () => void stopAll().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const baseEnv = appEnv({ MODELPIN_WORKERS: "off", NYCKEL_RATE_LIMIT_RPS: String(LIMIT), NYCKEL_MAX_CONCURRENCY: String(LIMIT) });
    for (const key of ["NYCKEL_BASE_URL", "DATABASE_URL", "NEXT_DIST_DIR"]) delete baseEnv[key];
    await ensureBuild(baseEnv, { distDir: DIST_DIR, log, reuseAny: process.env.SKIP_BUILD === "1", rebuild: args.rebuild });

    // ---- database and emulator
    const pg = await scratchDatabase("bench-budget-postgres", log);
    cleanups.push(pg.stop);
    const [lo, hi] = LATENCY.split("-").map(Number);
    const emulator = await startEmulator({
      port: 0,
      quiet: true,
      faults: { pathIncludes: "/invoke", latencyRangeMs: [lo!, hi ?? lo!] },
      invokeLogSize: SAMPLES * 2 * 3 + 20_000,
    });
    cleanups.push(() => emulator.close());
    log(`emulator ${emulator.url}: ${LIMIT}/s (sliding 1 s window), ${LIMIT} in flight, invoke latency ${LATENCY} ms`);

    // ---- data, through the app's own services
    process.env.DATABASE_URL = pg.url;
    process.env.NYCKEL_EMULATOR_URL = emulator.url;
    process.env.LOG_LEVEL ||= "warn";
    // The same audit key as the servers and the worker: this process appends audit events too.
    process.env.MODELPIN_ENCRYPTION_KEY = baseEnv.MODELPIN_ENCRYPTION_KEY;
    const { prisma, stop } = await appRuntime();
    cleanups.push(stop);
    const { userContext, registerModel, setPin, parseTextLines, createSampleSet } = await import("./bench/services");
    const { sys, environment } = await seedBenchEnvironment(ENVIRONMENT, "system (bench:budget)");
    const fn = seededFunction("support-triage");
    const user = await prisma.user.create({ data: { email: `bench-${randomBytes(3).toString("hex")}@bench.local`, name: "Bench editor", role: "editor" } });
    const ctx = userContext({ id: user.id, role: "editor", email: user.email }, "bench-budget");
    const modelA = await registerModel(ctx, { functionId: fn.id, modelId: fn.modelIds[0]!, nickname: "bench A", notes: "" });
    const modelB = await registerModel(ctx, { functionId: fn.id, modelId: fn.modelIds[1]!, nickname: "bench B", notes: "" });
    await setPin(sys, { environmentId: environment.id, functionId: fn.id, modelRefId: modelA.id, expectedVersion: 0, reason: "bench:budget", kind: "pin" });
    const parsed = parseTextLines(Array.from({ length: SAMPLES }, (_, i) => sampleText(i)).join("\n"), { inputKind: "text" });
    const set = await createSampleSet(ctx, { functionId: fn.id, name: `bench ${SAMPLES}`, result: parsed });
    // This process took permits for the sync; give its lease back so only the three servers hold one.
    await (await import("./bench/services")).stopNyckelBudget();
    const created = await runBin("tsx", ["--conditions=react-server", "scripts/token-create.ts", "--environment", ENVIRONMENT, "--name", "bench"], { ...baseEnv, NODE_ENV: "development", DATABASE_URL: pg.url }, true);
    const token = created.stdout.trim().split(/\r?\n/).at(-1)?.trim() ?? "";
    if (created.code !== 0 || !/^mp_\S+$/.test(token)) throw new Error(`npm run token:create failed (exit ${created.code}):\n${created.stdout}\n${created.stderr}`);

    // ---- two servers and a worker
    const serverEnv = { ...baseEnv, DATABASE_URL: pg.url, NYCKEL_EMULATOR_URL: emulator.url };
    const servers: NextServerHandle[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const server = await startNextServer({ port, distDir: DIST_DIR, env: { ...serverEnv, AUTH_URL: `http://127.0.0.1:${port}` } });
      cleanups.push(() => server.stop());
      servers.push(server);
      log(`next start ${server.url} (pid ${server.pid})`);
    }
    const worker: ChildProcess = spawn(path.resolve("node_modules/.bin/tsx"), ["--conditions=react-server", "scripts/worker.ts"], {
      env: { ...serverEnv, NODE_ENV: "development", MODELPIN_WORKERS: "on" },
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    const workerExited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    cleanups.push(async () => {
      if (worker.exitCode === null) process.kill(-worker.pid!, "SIGTERM");
      await Promise.race([workerExited, new Promise((r) => setTimeout(r, 10_000))]);
    });
    await new Promise<void>((resolve, reject) => {
      worker.stdout!.on("data", (c: Buffer) => (c.toString("utf8").includes("workers started") ? resolve() : undefined));
      worker.once("exit", (code) => reject(new Error(`npm run worker exited (${code}) before it started`)));
    });
    log(`npm run worker (pid ${worker.pid})`);

    // ---- warm up: one proxied call through each server (each takes its lease), then let the window empty
    const invoke = async (i: number): Promise<{ status: number; ms: number }> => {
      const server = servers[i % servers.length]!;
      const t = performance.now();
      try {
        const res = await fetch(`${server.url}/v1/functions/${fn.id}/invoke?capture=false`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ data: sampleText(100_000 + i) }),
        });
        await res.arrayBuffer();
        return { status: res.status, ms: performance.now() - t };
      } catch {
        return { status: 0, ms: performance.now() - t };
      }
    };
    // (A process that joins right after another may refuse its first ~0.3 s of serving: retried here.)
    for (let i = 0; i < servers.length; i++) {
      let first = await invoke(i);
      for (let tries = 0; first.status === 429 && tries < 20; tries++) {
        await new Promise((r) => setTimeout(r, 200));
        first = await invoke(i);
      }
      if (first.status !== 200) throw new Error(`the proxy of ${servers[i]!.url} answered ${first.status}`);
    }
    await new Promise((r) => setTimeout(r, 2_000));
    emulator.state.resetCounters();

    // ---- the run, with proxy traffic for all of it
    const answers: Array<Promise<{ status: number; ms: number }>> = [];
    let sending = true;
    // --debug: every 500 ms, each process's published use and demand (the lease rows), for a timeline.
    const timeline: string[] = [];
    const sampling = args.debug
      ? (async () => {
          const t0 = performance.now();
          while (sending) {
            const rows = await prisma.$queryRaw<Array<{ role: string; pid: number; granted_rate: number; demand: Record<string, { rate: number; peak?: number; waiting: number }> }>>`
              SELECT role, pid, granted_rate, demand FROM nyckel_budget_leases ORDER BY role, pid`;
            const at = ((performance.now() - t0) / 1000).toFixed(1);
            const cells = rows.map((r) => `${r.role}/${r.pid} use ${r.granted_rate} s ${r.demand.serving?.rate ?? 0}/${r.demand.serving?.peak ?? 0}+${r.demand.serving?.waiting ?? 0} b ${r.demand.batch?.rate ?? 0}+${r.demand.batch?.waiting ?? 0}`);
            timeline.push(`t=${at}s ${cells.join(" | ")}`);
            await new Promise((r) => setTimeout(r, 500));
          }
        })()
      : Promise.resolve();
    const traffic = (async () => {
      const t0 = performance.now();
      for (let i = 0; sending; i++) {
        answers.push(invoke(i));
        const next = t0 + ((i + 1) * 1000) / RATE;
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
    })();
    await new Promise((r) => setTimeout(r, 1_000)); // serving is active before batch starts
    const runStart = Date.now();
    const run = await runComparisonToEnd({ ctx, functionId: fn.id, sampleSetId: set.id, modelRefIds: [modelA.id, modelB.id] }, RUN_TIMEOUT_MS);
    const status = run.status;
    sending = false;
    await traffic;
    await sampling;
    const served = await Promise.all(answers);
    if (status !== "finished") throw new Error(`the run ended ${status}`);

    // ---- figures
    const counters = emulator.state.counters();
    const log429 = counters.byStatus["429"] ?? 0;
    const compared = emulator.state.recentInvokes(SAMPLES * 2 * 3 + 20_000);
    const arrivals = compared.filter((e) => e.status !== 429).map((e) => Date.parse(e.receivedAt)).filter((t) => t >= runStart);
    const batchArrivals = compared.filter((e) => e.modelIdParam === fn.modelIds[1]).map((e) => Date.parse(e.receivedAt));
    const runFrom = Math.min(...batchArrivals);
    const runTo = Math.max(...batchArrivals);
    const inRun = arrivals.filter((t) => t >= runFrom && t <= runTo).length;
    const ratio = inRun / ((runTo - runFrom) / 1000) / LIMIT;
    const refused = served.filter((a) => a.status < 200 || a.status >= 300);
    const byStatus = new Map<number, number>();
    for (const a of served) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    const [agg] = await prisma.$queryRaw<Array<{ rows: bigint; failed: bigint }>>`
      SELECT count(*) AS rows, count(*) FILTER (WHERE NOT ok) AS failed FROM comparison_results WHERE run_id = ${run.id}::uuid`;
    log(`comparison: ${agg?.rows ?? 0} results (${agg?.failed ?? 0} failed) in ${((runTo - runFrom) / 1000).toFixed(1)} s of batch invokes`);
    log(`proxy: ${served.length} requests at ${RATE}/s through ${servers.length} servers; statuses ${[...byStatus].map(([s, n]) => `${s}×${n}`).join(" ")}`);
    log(`proxy latency ms: p50 ${percentile(served.map((a) => a.ms), 50).toFixed(1)} p99 ${percentile(served.map((a) => a.ms), 99).toFixed(1)} max ${Math.max(...served.map((a) => a.ms)).toFixed(1)}`);
    log(`emulator: ${inRun} invokes in the run → ${(ratio * LIMIT).toFixed(1)}/s; 429s ${log429} (rate ${counters.rateLimited.rate}, concurrency ${counters.rateLimited.concurrency}); max starts in a 1 s window ${counters.maxStartsInWindow}, max in flight ${counters.maxInFlight}`);
    if (timeline.length) {
      const refusedAt = served.map((a, i) => ({ ...a, i })).filter((a) => a.status !== 200).map((a) => `${(a.i / RATE).toFixed(1)}s`);
      log(`timeline (role/pid use <published> s <serving rate>/<peak>+<waiting> b <batch rate>+<waiting>):\n${timeline.join("\n")}`);
      log(`refused proxy requests, by send time: ${refusedAt.join(" ") || "none"}`);
    }
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(
      `RESULT nyckel_429=${log429} serving_refused=${refused.length} total_rate_ratio=${ratio.toFixed(2)} serving_p99_ms=${percentile(served.map((a) => a.ms), 99).toFixed(0)}`,
    );
    return 0;
  } finally {
    await stopAll();
  }
}

exitWithMain(main);
