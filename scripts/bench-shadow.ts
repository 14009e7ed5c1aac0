/**
 * `npm run bench:shadow` (tsx --conditions=react-server scripts/bench-shadow.ts): what shadow
 * evaluation (docs/shadow.md) costs the proxy's callers, and whether it mirrors and records
 * what it should under Nyckel's limits. Extends bench:api's proxy measurement.
 *
 * Starts, and stops at the end: a throw-away embedded PostgreSQL (environment `bench`,
 * support-triage pinned, a candidate model registered, an environment token); a production
 * build in NEXT_DIST_DIR (default `.next-bench`; built when missing or stale, SKIP_BUILD=1
 * reuses any build there); the Nyckel emulator in a process of its own.
 *
 * 1. Overhead: one `next start` against an emulator without limits (as bench:api). At one
 *    connection, `--pairs` (5) alternating pairs of `--seconds` (4) s runs of the proxy: no
 *    shadow, then a 100% shadow (started and stopped through the service between runs; the
 *    server's shadow cache hears it by NOTIFY). shadow_overhead_p50_ms = the median over the
 *    pairs of p50(with) − p50(without).
 * 2. Load: a `next start` against an emulator with Nyckel's limits (25 requests per sliding
 *    second, 25 in flight) and the budget's defaults; after a 5 s run-in without a shadow (a
 *    shadow starts on a running server; it starts 2 s before the run-in ends, so the minute
 *    measures the steady state), `--rate` (10) proxied requests per second for `--duration`
 *    (60) s, open loop, with a 100% shadow. mirrored_share = candidate invokes
 *    the emulator received ÷ proxied requests; recorded_ratio = mirrored answers recorded ÷
 *    those candidate invokes; nyckel_429 = 429s the emulator sent.
 *
 * Last line: `RESULT shadow_overhead_p50_ms=… mirrored_share=… recorded_ratio=… nyckel_429=…`
 * (goals: ≤ 0.3 ms, ≥ 0.9, ≥ 0.95, 0).
 */
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { percentile } from "@/lib/compare/stats";
import { repoRoot } from "@/scripts/db/database";
import { freePort } from "@/scripts/testing/free-port";
import { startNextServer } from "@/scripts/testing/next-server";
import { exitWithMain } from "./cli/args";
import { benchOptions, positiveNumber, whole } from "./bench/options";
import { withCleanup } from "./bench/app";
import { appEnv, ensureBuild } from "./bench/build";
import { startEmulatorProcess, type RemoteEmulator } from "./bench/emulator-process";
import { scratchDatabase } from "./bench/postgres";
import { sampleText, seedBenchEnvironment } from "./bench/world";
import { seededFunction } from "./emulator/seed";

const args = benchOptions({ pairs: whole(5), seconds: whole(4), warmup: whole(3), rate: positiveNumber(10), duration: positiveNumber(60), rebuild: false });
const { pairs: PAIRS, seconds: SECONDS, warmup: WARMUP_S, rate: RATE, duration: DURATION_S } = args;
const RUN_IN_S = 5;
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench";
const ENVIRONMENT = "bench";
const log = (line: string) => console.log(`[bench:shadow] ${line}`);

/** Response times (ms) and statuses of `seconds` of POSTs at one connection. */
async function latencies(url: string, headers: Record<string, string>, body: string, seconds: number): Promise<{ times: number[]; statuses: Record<string, number> }> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon({ url, method: "POST", headers, body, connections: 1, duration: seconds, timeout: 30 }, (err) => (err ? reject(err) : resolve()));
    instance.on("response", (_c, status, _b, time) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      times.push(time);
    });
  });
  return { times, statuses };
}

const median = (xs: number[]) => percentile(xs, 50);

/** RATE requests per second for `seconds`, open loop (sent on schedule, whatever the answers take); counts the statuses. */
async function openLoop(url: string, headers: Record<string, string>, seconds: number, statuses: Record<string, number>): Promise<void> {
  const t0 = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < RATE * seconds; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      fetch(url, { method: "POST", headers, body: JSON.stringify({ data: sampleText(i) }) })
        .then(async (res) => {
          await res.arrayBuffer();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        })
        .catch(() => {
          statuses.error = (statuses.error ?? 0) + 1;
        }),
    );
  }
  await Promise.all(pending);
}

/** `stop` once, however often it is called (stopped early, and again by the cleanup stack). */
function once(stop: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= stop());
}

async function main(): Promise<number> {
  process.chdir(repoRoot());
  return withCleanup(async (defer) => {
    const baseEnv = appEnv({ MODELPIN_WORKERS: "off" });
    for (const key of ["NYCKEL_BASE_URL", "DATABASE_URL", "NEXT_DIST_DIR"]) delete baseEnv[key];
    await ensureBuild(baseEnv, { distDir: DIST_DIR, log, rebuild: args.rebuild, reuseAny: process.env.SKIP_BUILD === "1" });

    const pg = await scratchDatabase("bench-shadow-postgres", log);
    defer(pg.stop);
    const open = await startEmulatorProcess({ rateLimit: false, invokeLogSize: 10 });
    defer(open.close);
    const limited = await startEmulatorProcess({ invokeLogSize: 10 });
    defer(limited.close);
    log(`emulators: ${open.url} (no limits), ${limited.url} (25/s, 25 in flight)`);

    process.env.DATABASE_URL = pg.url;
    process.env.NYCKEL_EMULATOR_URL = open.url;
    process.env.LOG_LEVEL ||= "warn";
    const { disconnectPrisma, prisma } = await import("@/lib/db/client");
    defer(disconnectPrisma);
    const { registerModel } = await import("@/lib/models/service");
    const { setPin } = await import("@/lib/pins/service");
    const { createApiToken } = await import("@/lib/tokens/service");
    const { startShadow, stopShadow } = await import("@/lib/shadow/service");
    const { sys, environment } = await seedBenchEnvironment(ENVIRONMENT, "system (bench:shadow)");
    const fn = seededFunction("support-triage");
    const pinned = await registerModel(sys, { functionId: fn.id, modelId: fn.modelIds[0]!, nickname: "bench pinned", notes: "" });
    const candidate = await registerModel(sys, { functionId: fn.id, modelId: fn.modelIds[1]!, nickname: "bench candidate", notes: "" });
    await setPin(sys, { environmentId: environment.id, functionId: fn.id, modelRefId: pinned.id, expectedVersion: 0, reason: "bench:shadow", kind: "pin" });
    const { token } = await createApiToken(sys, { name: "bench", environmentId: environment.id, expiresInDays: null });
    const shadowSettings = { functionId: fn.id, environmentId: environment.id, candidateModelRefId: candidate.id, sharePct: 100, maxPerSecond: 1000 };

    const serve = async (emulator: RemoteEmulator, extra: Record<string, string>) => {
      const port = await freePort();
      const server = await startNextServer({
        port,
        distDir: DIST_DIR,
        env: { ...baseEnv, DATABASE_URL: pg.url, NYCKEL_EMULATOR_URL: emulator.url, AUTH_URL: `http://127.0.0.1:${port}`, ...extra },
      });
      log(`next start ${server.url} (pid ${server.pid}) → ${emulator.url}`);
      const stop = once(server.stop);
      defer(stop);
      return { url: server.url, stop };
    };
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const body = JSON.stringify({ data: sampleText(1) });

    // ---- 1. overhead at one connection
    const a = await serve(open, { NYCKEL_RATE_LIMIT_RPS: "1000000", NYCKEL_MAX_CONCURRENCY: "1000" });
    const proxyUrl = `${a.url}/v1/functions/${fn.id}/invoke?capture=false`;
    const first = await fetch(proxyUrl, { method: "POST", headers, body });
    if (first.status !== 200) throw new Error(`the proxy answered ${first.status}: ${await first.text()}`);
    log(`warm-up (${WARMUP_S} s without and with a shadow) …`);
    await latencies(proxyUrl, headers, body, WARMUP_S);
    let shadow = await startShadow(sys, shadowSettings);
    await latencies(proxyUrl, headers, body, WARMUP_S);
    await stopShadow(sys, { shadowId: shadow.id });
    const differences: number[] = [];
    for (let pair = 1; pair <= PAIRS; pair++) {
      await new Promise((r) => setTimeout(r, 300));
      const without = await latencies(proxyUrl, headers, body, SECONDS);
      shadow = await startShadow(sys, shadowSettings);
      await new Promise((r) => setTimeout(r, 300));
      const withShadow = await latencies(proxyUrl, headers, body, SECONDS);
      await stopShadow(sys, { shadowId: shadow.id });
      for (const [name, r] of [["without", without], ["with", withShadow]] as const) {
        const bad = Object.entries(r.statuses).filter(([s]) => s !== "200");
        if (bad.length) throw new Error(`pair ${pair} ${name} a shadow: answers ${JSON.stringify(r.statuses)}`);
      }
      const d = median(withShadow.times) - median(without.times);
      differences.push(d);
      log(
        `pair ${pair}: without p50 ${median(without.times).toFixed(3)} ms (${without.times.length}), with a 100% shadow p50 ${median(withShadow.times).toFixed(3)} ms (${withShadow.times.length}) → ${d >= 0 ? "+" : ""}${d.toFixed(3)} ms`,
      );
    }
    const overhead = median(differences);
    await a.stop();

    // ---- 2. 10 requests/s for 60 s with a 100% shadow, under Nyckel's limits
    const b = await serve(limited, {});
    const loadUrl = `${b.url}/v1/functions/${fn.id}/invoke?capture=false`;
    // A shadow is started on a running server: serving traffic first, while the new process's budget share rises (docs/budget.md).
    // The shadow starts 2 s before the measured minute, with traffic flowing: the budget gives the shadow class
    // its share after its rise delay (~1.3 s), so what is measured is the steady state (the start is in docs/shadow.md).
    log(`run-in: ${RATE} requests/s for ${RUN_IN_S} s, the shadow starting 2 s before its end …`);
    const runIn = openLoop(loadUrl, headers, RUN_IN_S, {});
    await new Promise((r) => setTimeout(r, (RUN_IN_S - 2) * 1000));
    shadow = await startShadow(sys, shadowSettings);
    await runIn;
    await limited.resetCounters();
    // Records carry the time of the request they mirror: those of the measured minute are at or after this.
    const measuredFrom = new Date();
    log(`load: ${RATE} requests/s for ${DURATION_S} s through the proxy, 100% shadow …`);
    const statuses: Record<string, number> = {};
    await openLoop(loadUrl, headers, DURATION_S, statuses);
    // The server's recorder flushes every second.
    await new Promise((r) => setTimeout(r, 3_000));
    const counters = await limited.counters();
    const received = counters.invokesByFunction[fn.id]?.byModelIdReceived ?? {};
    const sent = received[fn.modelIds[1]!] ?? 0;
    const proxied = RATE * DURATION_S;
    const window = { shadowId: shadow.id, at: { gte: measuredFrom } };
    const all = await prisma.shadowRecord.count({ where: window });
    const recorded = await prisma.shadowRecord.count({ where: { ...window, candidateLabel: { not: null } } });
    const hours = await prisma.shadowHour.findMany({ where: { shadowId: shadow.id } });
    const dropped = (k: "droppedBudget" | "droppedCap" | "droppedTooLarge") => hours.reduce((s, h) => s + h[k], 0);
    await stopShadow(sys, { shadowId: shadow.id });
    log(`proxy answers: ${JSON.stringify(statuses)}; emulator: ${received[fn.modelIds[0]!] ?? 0} served invokes, ${sent} candidate invokes, ${counters.rateLimited.total} 429s`);
    log(`recorded ${all} mirrored requests (${recorded} with the candidate's answer); dropped (run-in included): budget ${dropped("droppedBudget")}, cap ${dropped("droppedCap")}, too large ${dropped("droppedTooLarge")}`);
    const mirroredShare = sent / proxied;
    const recordedRatio = sent === 0 ? 0 : recorded / sent;
    log(`shadow_overhead_p50_ms ${overhead.toFixed(3)} (goal ≤ 0.3), mirrored_share ${mirroredShare.toFixed(3)} (goal ≥ 0.9), recorded_ratio ${recordedRatio.toFixed(3)} (goal ≥ 0.95), nyckel_429 ${counters.rateLimited.total} (goal 0)`);
    await b.stop();
    console.log(
      `RESULT shadow_overhead_p50_ms=${overhead.toFixed(3)} mirrored_share=${mirroredShare.toFixed(3)} recorded_ratio=${recordedRatio.toFixed(3)} nyckel_429=${counters.rateLimited.total}`,
    );
    return 0;
  });
}

exitWithMain(main);
