/**
 * `npm run bench:compare` (tsx --conditions=react-server scripts/bench-compare.ts):
 * how close a comparison run gets to the Nyckel rate limit, through the real job path.
 *
 * - A scratch database on DATABASE_URL's server (created, migrated, dropped at the
 *   end), or a throw-away embedded PostgreSQL on a free port in .data/bench-compare-postgres
 *   when DATABASE_URL is unset.
 * - Its own Nyckel emulator, in a child process (scripts/bench/emulator-process.ts:
 *   Nyckel is another machine), on a free loopback port, enforcing 100 requests per second (strict sliding 1 s window) and 25
 *   concurrent requests, with 20–60 ms of latency per invoke. The child ends with
 *   this process (it watches its stdin).
 * - Its own function, two registered models, an editor and a 1,000-sample text set.
 * - The app's Nyckel connection points at the emulator (NYCKEL_BASE_URL/CLIENT_ID/SECRET),
 *   with the client's limiter at the emulator's limits (NYCKEL_RATE_LIMIT_RPS=100,
 *   NYCKEL_MAX_CONCURRENCY=25).
 * - The run goes through startComparisonRun → pg-boss → the comparison worker
 *   (started in this process, as `npm run worker` starts it).
 *
 * Measured from the first invoke the emulator received (its invoke log) to the last
 * result stored (max created_at of the run's comparison_results):
 *   achieved rate = invoke requests the emulator received ÷ that time; rate_ratio = achieved ÷ 100.
 * Note that a sliding window lets the first second's requests through at once, which
 * this end-to-end figure includes; the sustained rate (as bench:nyckel measures it:
 * how long a start slot takes to be reused) is printed too.
 *
 * Last line: `RESULT rate_ratio=<x.xx> failed=<samples with a failed side>` (goal ≥ 0.95 and 0).
 * Options: --samples 1000 --latency 30 (ms per invoke; "20-60" for a uniform range)
 *          --rate 100 --concurrency 25 --debug (slot-reuse percentiles)
 */
import { appRuntime } from "./bench/app-modules";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { repoRoot } from "@/scripts/db/database";
import { seededFunction } from "./emulator/seed";
import type { EmulatorFaults } from "./emulator/faults";
import { percentile } from "@/lib/compare/stats";
import { benchOptions, whole } from "./bench/options";
import { startEmulatorProcess, type RemoteEmulator } from "./bench/emulator-process";
import { scratchDatabase } from "./bench/postgres";
import { runComparisonToEnd, sampleText } from "./bench/world";

const args = benchOptions({ samples: whole(1000), rate: whole(100), concurrency: whole(25), latency: "20-60", debug: false });
const { samples: SAMPLES, rate: LIMIT, concurrency: CONCURRENCY, latency: LATENCY } = args;
const RUN_TIMEOUT_MS = 10 * 60_000;
const log = (line: string) => console.log(`[bench:compare] ${line}`);

function latencyFaults(spec: string): EmulatorFaults {
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { pathIncludes: "/invoke", latencyRangeMs: [Number(range[1]), Number(range[2])] };
  const fixed = Number(spec);
  if (!Number.isFinite(fixed) || fixed < 0) throw new Error("--latency must be milliseconds (30) or a range (20-60)");
  return fixed > 0 ? { pathIncludes: "/invoke", latencyMs: fixed } : {};
}

async function main(): Promise<number> {
  const started = performance.now();
  process.chdir(repoRoot());

  // ---- database: a scratch database on DATABASE_URL's server, or a throw-away embedded server (migrated)
  const db = await scratchDatabase("bench-compare-postgres", log);
  const url = db.url;
  const stopDb = db.stop;

  let emulator: RemoteEmulator | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // ---- the emulator, and the app's configuration pointing at it (read by lib/env.ts on first use)
    emulator = await startEmulatorProcess({
      rateLimit: { perSecond: LIMIT, concurrency: CONCURRENCY },
      faults: latencyFaults(LATENCY),
      invokeLogSize: SAMPLES * 2 * 20,
    });
    process.env.DATABASE_URL = url;
    process.env.NYCKEL_BASE_URL = emulator.url;
    process.env.NYCKEL_CLIENT_ID = emulator.clientId;
    process.env.NYCKEL_CLIENT_SECRET = emulator.clientSecret;
    process.env.NYCKEL_RATE_LIMIT_RPS = String(LIMIT);
    process.env.NYCKEL_MAX_CONCURRENCY = String(CONCURRENCY);
    process.env.LOG_LEVEL ||= "warn";
    log(`emulator ${emulator.url}: ${LIMIT} requests/s (sliding 1 s window), ${CONCURRENCY} concurrent, invoke latency ${LATENCY} ms`);

    // The app's modules read the configuration on first use: import them only now.
    const { prisma, stop } = await appRuntime();
    cleanups.push(stop);
    const { userContext, registerModel, parseTextLines, createSampleSet, startComparisonWorker } = await import("./bench/services");

    // ---- its own function, models, user and sample set
    const fn = seededFunction("support-triage");
    await prisma.nyckelFunction.create({ data: { id: fn.id, name: fn.name, inputType: "Text", outputType: "Classification", lastSyncedAt: new Date() } });
    const user = await prisma.user.create({ data: { email: `bench-${randomBytes(3).toString("hex")}@bench.local`, name: "Bench editor", role: "editor" } });
    const ctx = userContext({ id: user.id, role: "editor", email: user.email }, "bench-compare");
    const modelA = await registerModel(ctx, { functionId: fn.id, modelId: fn.modelIds[0]!, nickname: "bench A", notes: "" });
    const modelB = await registerModel(ctx, { functionId: fn.id, modelId: fn.modelIds[1]!, nickname: "bench B", notes: "" });
    const lines = Array.from({ length: SAMPLES }, (_, i) => sampleText(i)).join("\n");
    const parsed = parseTextLines(lines, { inputKind: "text" });
    if (parsed.samples.length !== SAMPLES) throw new Error(`the sample set parsed to ${parsed.samples.length} samples, expected ${SAMPLES}`);
    const set = await createSampleSet(ctx, { functionId: fn.id, name: `bench ${SAMPLES}`, result: parsed });
    log(`function ${fn.id}, models ${fn.modelIds[0]} and ${fn.modelIds[1]}, sample set of ${set.sampleCount} texts`);

    // ---- the worker in this process; warm the client (token, connections) and let the window empty
    await startComparisonWorker();
    const { getNyckelClient } = await import("./bench/services");
    await (await getNyckelClient())!.client.testConnection();
    await new Promise((r) => setTimeout(r, 1100));
    await emulator.resetCounters();

    // ---- the run, through the real job path
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const run = await runComparisonToEnd({ ctx, functionId: fn.id, sampleSetId: set.id, modelRefIds: [modelA.id, modelB.id] }, RUN_TIMEOUT_MS);
    const status = run.status;
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (status !== "finished") throw new Error(`the run ended ${status}`);

    // ---- figures
    const counters = await emulator.counters();
    const invokes = await emulator.invokes();
    if (invokes.length !== counters.invokes) throw new Error(`the invoke log holds ${invokes.length} of ${counters.invokes} invokes; raise invokeLogSize`);
    const arrivals = invokes.map((e) => Date.parse(e.receivedAt)).sort((a, b) => a - b);
    const [agg] = await prisma.$queryRaw<Array<{ last: Date; rows: bigint; failedRows: bigint; failedSamples: bigint; retries: bigint }>>`
      SELECT max(created_at) AS last, count(*) AS rows, count(*) FILTER (WHERE NOT ok) AS "failedRows",
             count(DISTINCT sample_id) FILTER (WHERE NOT ok) AS "failedSamples", coalesce(sum(attempts - 1), 0) AS retries
      FROM comparison_results WHERE run_id = ${run.id}::uuid`;
    if (!agg || Number(agg.rows) !== SAMPLES * 2) throw new Error(`the run stored ${agg?.rows ?? 0} results, expected ${SAMPLES * 2}`);
    const first = arrivals[0]!;
    const durationS = (agg.last.getTime() - first) / 1000;
    const achieved = invokes.length / durationS;
    const admitted = invokes.filter((e) => e.status !== 429).map((e) => Date.parse(e.receivedAt)).sort((a, b) => a - b);
    const L = LIMIT;
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const sustained = admitted.length > 2 * L ? (admitted.length - L) / ((mean(admitted.slice(-L)) - mean(admitted.slice(0, L))) / 1000) : NaN;
    const status429 = counters.byStatus["429"] ?? 0;

    log(`run ${run.id}: ${status} (${wallS.toFixed(1)} s from startComparisonRun to the worker marking it finished)`);
    log(`invokes received by the emulator: ${invokes.length} (${admitted.length} admitted), for ${SAMPLES * 2} results`);
    log(`429s emitted by the emulator: ${status429} (limit: ${counters.rateLimited.rate} rate, ${counters.rateLimited.concurrency} concurrency); max starts in any 1 s window ${counters.maxStartsInWindow}, max in flight ${counters.maxInFlight}`);
    log(`client retries recorded on results: ${agg.retries}; failed results: ${agg.failedRows} (${agg.failedSamples} samples)`);
    log(`CPU used by this process (worker, database client, job queue) during the run: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s = ${((cpu.user + cpu.system) / 1000 / (SAMPLES * 2)).toFixed(2)} ms per result`);
    log(`first invoke received → last result stored: ${durationS.toFixed(2)} s → ${achieved.toFixed(1)} invokes/s (limit ${LIMIT}/s)`);
    log(`sustained start rate (slot reuse, as bench:nyckel): ${sustained.toFixed(1)}/s = ${(sustained / LIMIT).toFixed(2)} of the limit`);
    if (args.debug) {
      // How long a start slot took to be reused: arrival k+L − arrival k, percentiles.
      const gaps = admitted.slice(L).map((t, i) => t - admitted[i]!);
      const pct = (p: number) => percentile(gaps, p).toFixed(0);
      log(`slot reuse (arrival k+${L} − arrival k), ms: p5 ${pct(5)} p25 ${pct(25)} p50 ${pct(50)} p75 ${pct(75)} p95 ${pct(95)} max ${pct(100)}`);
    }
    log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(`RESULT rate_ratio=${(achieved / LIMIT).toFixed(2)} failed=${agg.failedSamples}`);
    return 0;
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((e: unknown) => console.error(e));
    await emulator?.close();
    await stopDb().catch((e: unknown) => console.error(e));
  }
}

const fail = (e: unknown) => {
  console.error(e);
  process.exit(1);
};
main().then((code) => process.exit(code), fail);
