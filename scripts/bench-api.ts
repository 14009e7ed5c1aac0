/**
 * `npm run bench:api` (tsx --conditions=react-server scripts/bench-api.ts):
 * what the resolve API and the invoke proxy cost on top of the framework and of Nyckel.
 *
 * Starts, on free loopback ports, and stops at the end:
 * - a production build in its own folder (NEXT_DIST_DIR, default `.next-bench`), built
 *   when missing or older than a source file under app/, components/ or lib/
 *   (`--rebuild` forces a build, `--no-build` never builds);
 * - a throw-away embedded PostgreSQL in `.data/bench-api-postgres`, migrated, with one
 *   environment (`bench`), the emulator's functions (synced), a registered model
 *   pinned for `support-triage`, and an environment token made by `npm run token:create`;
 * - a Nyckel emulator (`npm run emulator -- --no-limits`) in a process of its own, as Nyckel is a
 *   service of its own: the direct calls and the proxy's calls to it both cross a process
 *   boundary. (Until 2026-12-07 it ran inside this process, so the direct baseline was a loopback
 *   call within one event loop, 0.10 ms, and the proxy's overhead also counted the two process
 *   switches any real call to Nyckel makes; `--emulator-in-process` measures it that way.)
 * - one `next start` server (NODE_ENV=production, MODELPIN_WORKERS=off) whose Nyckel is
 *   the emulator (NYCKEL_EMULATOR_URL) with the client's limiter opened wide, so the
 *   limiter never waits.
 *
 * Measured with autocannon, after a warm-up:
 * - throughput (requests/s) at `--connections` (10) of GET /api/health — a route handler
 *   that only answers — and of the resolve API with the token: the single-function route
 *   (`/api/v1/environments/bench/pins/{functionId}`, the RESULT) and the list route
 *   (printed). Health and resolve alternate in `--rounds` (3) rounds of `--duration` (5) s
 *   each, so drift from other load on the machine hits both alike;
 *   resolve_ratio = resolve ÷ health.
 * - latency at 1 connection, `--latency-duration` (10) s each, alternating in `--rounds` rounds:
 *   POST /v1/functions/{id}/invoke through the proxy, and the same request (with the pinned
 *   `modelId`) straight to the emulator with an emulator token; capture=false for both. Latencies are taken per
 *   response from autocannon's tracker (sub-millisecond; its own histogram rounds to
 *   whole milliseconds). proxy_overhead_p50_ms = p50(proxy) − p50(direct).
 *
 * Last line: `RESULT resolve_ratio=<x> proxy_overhead_p50_ms=<y>` (goals: ≥ 0.9 and ≤ 2).
 *
 * Options: --duration 5 --rounds 3 --connections 10 --latency-duration 10 --warmup 3 --rebuild --no-build --emulator-in-process;
 * for investigations `--also <path>` (another GET path measured in each round, repeatable),
 * `--also-proxy <query>` (another proxy latency measurement with these extra query parameters)
 * and `--cpu-prof` (the server writes a V8 CPU profile to .data/bench-api-profiles when it stops;
 * the loads are then separated by a quiet second, so they can be told apart in the profile).
 * Every figure also shows the server's CPU time per request (from /proc), which depends far less
 * than throughput on other load on the machine.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { startNextServer, startServerProcess, type NextServerHandle } from "@/scripts/testing/next-server";
import { repoRoot } from "@/scripts/db/database";
import { startEmulator } from "./emulator/server";
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, type InvokeLogEntry } from "./emulator/state";
import { seededFunction } from "./emulator/seed";
import { freePort } from "@/scripts/testing/free-port";
import { percentile } from "@/lib/compare/stats";
import { cliOptions, exitWithMain, positive } from "./cli/args";
import { appEnv, ensureBuild, runBin } from "./bench/build";
import { scratchDatabase } from "./bench/postgres";
import { seedBenchEnvironment } from "./bench/world";

const args = cliOptions({
  duration: { type: "string", default: "5" },
  rounds: { type: "string", default: "3" },
  connections: { type: "string", default: "10" },
  "latency-duration": { type: "string", default: "10" },
  warmup: { type: "string", default: "3" },
  also: { type: "string", multiple: true, default: [] },
  "also-proxy": { type: "string", multiple: true, default: [] },
  "cpu-prof": { type: "boolean", default: false },
  "emulator-in-process": { type: "boolean", default: false },
  rebuild: { type: "boolean", default: false },
  "no-build": { type: "boolean", default: false },
});
const DURATION_S = positive("duration", args.duration);
const ROUNDS = Math.floor(positive("rounds", args.rounds));
const CONNECTIONS = Math.floor(positive("connections", args.connections));
const LATENCY_DURATION_S = positive("latency-duration", args["latency-duration"]);
const WARMUP_S = positive("warmup", args.warmup);
const DIST_DIR = process.env.NEXT_DIST_DIR || ".next-bench";
/** Extra GET paths measured like /api/health (for investigations), e.g. `--also /api/other`. */
const ALSO = args.also;
/** Extra query parameters for an additional proxy latency measurement (for investigations), e.g. `--also-proxy labelCount=3`. */
const ALSO_PROXY = args["also-proxy"];
/** `--cpu-prof`: the server writes a V8 CPU profile into .data/bench-api-profiles when it stops. */
const CPU_PROF = args["cpu-prof"];
/** `--emulator-in-process`: the emulator runs inside this process (the direct baseline then never leaves one event loop). */
const EMULATOR_IN_PROCESS = args["emulator-in-process"];
const ENVIRONMENT = "bench";
const INVOKE_TEXT = "I was charged twice for my invoice this month, please refund";
const log = (line: string) => console.log(`[bench:api] ${line}`);

/** `npm run emulator -- --no-limits` on a free port, in a process of its own; resolves once it answers. */
async function startEmulatorProcess(): Promise<{ url: string; close: () => Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const emulator = await startServerProcess({
    name: `the emulator on port ${port}`,
    command: process.execPath,
    args: ["--import", "tsx", "scripts/emulator.ts", "--port", String(port), "--no-limits", "--quiet"],
    cwd: process.cwd(),
    env: process.env,
    url,
    readyUrl: `${url}/_emulator`,
    timeoutMs: 30_000,
  });
  return { url, close: emulator.stop };
}

// ---- build (scripts/bench/build.ts) ---------------------------------------------------

const buildOptions = { distDir: DIST_DIR, log, rebuild: args.rebuild, noBuild: args["no-build"] };

// ---- measurements --------------------------------------------------------------------

type Load = {
  title: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  /** Keep every response time (ms, sub-millisecond). */
  keepLatencies?: boolean;
};

type LoadResult = {
  title: string;
  requests: number;
  seconds: number;
  rps: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  latencies: number[];
  /** CPU time the server's processes used during the load (ms), when measurable. */
  serverCpuMs: number;
};

/** The server's process group (set once it runs): its CPU time is read from /proc around each load. */
let serverGroup: number | null = null;

/**
 * CPU time (ms) used so far by every process of a process group — `next start` and the server
 * process it spawns — from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms). NaN off Linux.
 * Unlike throughput, it hardly depends on what else runs on the machine.
 */
function groupCpuMs(pgid: number): number {
  if (!existsSync("/proc/self/stat")) return Number.NaN;
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // After "pid (comm) ": state ppid pgrp … utime (14th field) stime (15th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

async function load(l: Load): Promise<LoadResult> {
  // With --cpu-prof, a quiet second before each load separates the loads in the profile's timeline.
  if (CPU_PROF) await new Promise((r) => setTimeout(r, 1_000));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const cpuBefore = serverGroup === null ? Number.NaN : groupCpuMs(serverGroup);
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: l.url,
        method: l.method ?? "GET",
        headers: l.headers,
        body: l.body,
        connections: l.connections,
        duration: l.duration,
        // A slow answer is measured, not dropped.
        timeout: 30,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (l.keepLatencies) latencies.push(responseTime);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const serverCpuMs = serverGroup === null ? Number.NaN : groupCpuMs(serverGroup) - cpuBefore;
  return {
    serverCpuMs,
    title: l.title,
    requests: result.requests.total,
    seconds,
    // autocannon's own average of the per-second request counts.
    rps: result.requests.average,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statuses,
    latencies,
  };
}

function describe(r: LoadResult): string {
  const codes = Object.entries(r.statuses)
    .map(([code, n]) => `${code}×${n}`)
    .join(" ");
  const cpu = Number.isFinite(r.serverCpuMs) ? `, server CPU ${((r.serverCpuMs / r.requests) * 1000).toFixed(0)} µs/request` : "";
  return `${r.title}: ${r.requests} requests in ${r.seconds.toFixed(1)} s, ${r.rps.toFixed(0)} req/s${cpu} (${codes}${r.errors ? `, ${r.errors} errors` : ""})`;
}

function assertAllOk(r: LoadResult, expected: number): void {
  const bad = Object.entries(r.statuses).filter(([code]) => Number(code) !== expected);
  if (bad.length || r.errors) {
    throw new Error(`${r.title}: expected only ${expected} answers, got ${JSON.stringify(r.statuses)} and ${r.errors} errors`);
  }
}

function sum(results: LoadResult[]): { requests: number; rps: number; cpuUsPerRequest: number } {
  const requests = results.reduce((a, r) => a + r.requests, 0);
  const cpu = results.reduce((a, r) => a + r.serverCpuMs, 0);
  // Mean of the rounds' rates (each round has the same duration).
  return { requests, rps: results.reduce((a, r) => a + r.rps, 0) / results.length, cpuUsPerRequest: (cpu / requests) * 1000 };
}

// ---- main ----------------------------------------------------------------------------

async function main(): Promise<number> {
  process.chdir(repoRoot());
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => console.error(e));
  };
  const onSignal = () => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    const baseEnv = appEnv({ MODELPIN_WORKERS: "off" });
    // The emulator is this benchmark's Nyckel, whatever the shell says.
    for (const key of ["NYCKEL_BASE_URL", "DATABASE_URL", "NEXT_DIST_DIR"]) delete baseEnv[key];

    await ensureBuild(baseEnv, buildOptions);

    // ---- database
    const pg = await scratchDatabase("bench-api-postgres", log);
    cleanups.push(pg.stop);

    // ---- emulator: no limits, no latency
    const emulator = EMULATOR_IN_PROCESS ? await startEmulator({ port: 0, quiet: true, rateLimit: false, invokeLogSize: 50 }) : await startEmulatorProcess();
    cleanups.push(() => emulator.close());
    log(`emulator ${emulator.url} (no rate limits, no injected latency, ${EMULATOR_IN_PROCESS ? "in this process" : "a process of its own"})`);

    // ---- data, through the app's own services (they read DATABASE_URL and NYCKEL_EMULATOR_URL on first use)
    process.env.DATABASE_URL = pg.url;
    process.env.NYCKEL_EMULATOR_URL = emulator.url;
    delete process.env.NYCKEL_CLIENT_ID;
    delete process.env.NYCKEL_CLIENT_SECRET;
    process.env.LOG_LEVEL ||= "warn";
    const { disconnectPrisma, prisma } = await import("@/lib/db/client");
    cleanups.push(disconnectPrisma);
    const { registerModel } = await import("@/lib/models/service");
    const { setPin } = await import("@/lib/pins/service");
    const { sys: ctx, environment } = await seedBenchEnvironment(ENVIRONMENT, "system (bench:api)");
    const fn = seededFunction("support-triage");
    const pinnedModelId = fn.modelIds[0]!;
    const model = await registerModel(ctx, { functionId: fn.id, modelId: pinnedModelId, nickname: "bench pinned", notes: "" });
    await setPin(ctx, { environmentId: environment.id, functionId: fn.id, modelRefId: model.id, expectedVersion: 0, reason: "bench:api", kind: "pin" });
    const functionCount = await prisma.nyckelFunction.count();
    await disconnectPrisma();
    cleanups.pop();

    const created = await runBin("tsx", ["--conditions=react-server", "scripts/token-create.ts", "--environment", ENVIRONMENT, "--name", "bench"], {
      ...baseEnv,
      NODE_ENV: "development",
      DATABASE_URL: pg.url,
    }, true);
    const token = created.stdout.trim().split(/\r?\n/).at(-1)?.trim() ?? "";
    if (created.code !== 0 || !/^mp_\S+$/.test(token)) {
      throw new Error(`npm run token:create failed (exit ${created.code}):\n${created.stdout}\n${created.stderr}`);
    }
    log(`environment "${ENVIRONMENT}", ${functionCount} synced functions, ${fn.id} pinned to ${pinnedModelId}, token ${token.slice(0, 7)}…`);

    // ---- the production server
    const appPort = await freePort();
    const server: NextServerHandle = await startNextServer({
      port: appPort,
      distDir: DIST_DIR,
      env: {
        ...baseEnv,
        DATABASE_URL: pg.url,
        NYCKEL_EMULATOR_URL: emulator.url,
        AUTH_URL: `http://127.0.0.1:${appPort}`,
        // The limiter stays in the path but never waits: the emulator has no limits here.
        NYCKEL_RATE_LIMIT_RPS: "1000000",
        NYCKEL_MAX_CONCURRENCY: "1000",
      },
      ...(CPU_PROF ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${path.resolve(".data/bench-api-profiles")}`] } : {}),
    });
    cleanups.push(() => server.stop());
    serverGroup = server.pid;
    log(`next start ${server.url} (pid ${server.pid}, ${DIST_DIR})`);

    const auth = { authorization: `Bearer ${token}` };
    const healthUrl = `${server.url}/api/health`;
    const resolveUrl = `${server.url}/api/v1/environments/${ENVIRONMENT}/pins/${fn.id}`;
    const listUrl = `${server.url}/api/v1/environments/${ENVIRONMENT}/pins`;
    const proxyUrl = `${server.url}/v1/functions/${fn.id}/invoke?capture=false`;
    const invokeBody = JSON.stringify({ data: INVOKE_TEXT });
    const json = { "content-type": "application/json" };

    // One request of each, checked, before any load.
    const first = await fetch(resolveUrl, { headers: auth });
    const firstBody = (await first.json()) as { modelId?: unknown };
    if (first.status !== 200 || firstBody.modelId !== pinnedModelId) {
      throw new Error(`resolve answered ${first.status} ${JSON.stringify(firstBody)}; expected 200 with modelId ${pinnedModelId}`);
    }
    const proxied = await fetch(proxyUrl, { method: "POST", headers: { ...auth, ...json }, body: invokeBody });
    const proxiedBody = await proxied.text();
    if (proxied.status !== 200 || proxied.headers.get("x-modelpin-model-id") !== pinnedModelId) {
      throw new Error(`the proxy answered ${proxied.status} (X-Modelpin-Model-Id ${proxied.headers.get("x-modelpin-model-id")}): ${proxiedBody}`);
    }
    const used = ((await (await fetch(`${emulator.url}/_emulator/invokes?limit=1`)).json()) as InvokeLogEntry[])[0];
    if (used?.modelIdUsed !== pinnedModelId) throw new Error(`the emulator answered with ${used?.modelIdUsed}, not the pinned ${pinnedModelId}`);

    const tokenRes = await fetch(`${emulator.url}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET }),
    });
    const nyckelToken = ((await tokenRes.json()) as { access_token: string }).access_token;
    const directUrl = `${emulator.url}/v1/functions/${fn.id}/invoke?capture=false&modelId=${pinnedModelId}`;
    const directHeaders = { authorization: `Bearer ${nyckelToken}`, ...json };

    // ---- warm-up (JIT, connection pools, caches)
    log(`warm-up (${WARMUP_S} s each) …`);
    for (const l of [
      { title: "health", url: healthUrl },
      { title: "resolve", url: resolveUrl, headers: auth },
      { title: "resolve list", url: listUrl, headers: auth },
      { title: "proxy", url: proxyUrl, method: "POST" as const, headers: { ...auth, ...json }, body: invokeBody },
      { title: "direct", url: directUrl, method: "POST" as const, headers: directHeaders, body: invokeBody },
    ]) {
      assertAllOk(await load({ ...l, connections: CONNECTIONS, duration: WARMUP_S }), 200);
    }

    // ---- throughput at N connections, alternating
    const health: LoadResult[] = [];
    const resolve: LoadResult[] = [];
    const list: LoadResult[] = [];
    const also = new Map<string, LoadResult[]>(ALSO.map((p) => [p, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      log(`throughput round ${round}/${ROUNDS} (${CONNECTIONS} connections, ${DURATION_S} s each)`);
      for (const [into, l] of [
        [health, { title: "  GET /api/health", url: healthUrl }],
        [resolve, { title: "  GET resolve (one function)", url: resolveUrl, headers: auth }],
        [list, { title: "  GET resolve (list)", url: listUrl, headers: auth }],
      ] as const) {
        const r = await load({ ...l, connections: CONNECTIONS, duration: DURATION_S });
        assertAllOk(r, 200);
        log(describe(r));
        into.push(r);
      }
      for (const [p, into] of also) {
        const r = await load({ title: `  GET ${p}`, url: `${server.url}${p}`, headers: auth, connections: CONNECTIONS, duration: DURATION_S });
        log(describe(r));
        into.push(r);
      }
    }
    const h = sum(health);
    const rs = sum(resolve);
    const ls = sum(list);
    const resolveRatio = rs.rps / h.rps;
    const listRatio = ls.rps / h.rps;

    // ---- latency at 1 connection: direct and proxy alternate in the same rounds
    // autocannon runs whole seconds.
    const perRound = Math.max(1, Math.round(LATENCY_DURATION_S / ROUNDS));
    log(`latency at 1 connection (${ROUNDS} rounds of ${perRound} s each)`);
    const variants: Array<{ title: string; url: string; headers: Record<string, string>; method?: "GET" | "POST" }> = [
      { title: "  POST invoke, straight to the emulator", url: directUrl, headers: directHeaders },
      { title: "  POST invoke, through the proxy", url: proxyUrl, headers: { ...auth, ...json } },
      // For reading the figures: what any route handler of this server costs at 1 connection.
      { title: "  GET /api/health (the framework's floor)", url: healthUrl, headers: {}, method: "GET" },
      ...ALSO_PROXY.map((q) => ({ title: `  POST invoke, through the proxy, &${q}`, url: `${proxyUrl}&${q}`, headers: { ...auth, ...json } })),
    ];
    const latencyRuns = variants.map(() => [] as LoadResult[]);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, v] of variants.entries()) {
        const r = await load({ ...v, method: v.method ?? "POST", body: v.method === "GET" ? undefined : invokeBody, connections: 1, duration: perRound, keepLatencies: true });
        assertAllOk(r, 200);
        latencyRuns[i]!.push(r);
      }
    }
    const merged = latencyRuns.map((runs, i) => ({
      ...runs[0]!,
      title: variants[i]!.title,
      requests: runs.reduce((a, r) => a + r.requests, 0),
      seconds: runs.reduce((a, r) => a + r.seconds, 0),
      rps: runs.reduce((a, r) => a + r.rps, 0) / runs.length,
      serverCpuMs: runs.reduce((a, r) => a + r.serverCpuMs, 0),
      statuses: { 200: runs.reduce((a, r) => a + r.requests, 0) },
      latencies: runs.flatMap((r) => r.latencies),
    }));
    const [direct, proxy] = [merged[0]!, merged[1]!];
    const line = (r: LoadResult) =>
      `${describe(r)}; latency p50 ${percentile(r.latencies, 50).toFixed(3)} ms, p90 ${percentile(r.latencies, 90).toFixed(3)} ms, p99 ${percentile(r.latencies, 99).toFixed(3)} ms`;
    for (const r of merged) log(line(r));
    const overhead = percentile(proxy.latencies, 50) - percentile(direct.latencies, 50);

    log("");
    const cpu = (x: { cpuUsPerRequest: number }) => (Number.isFinite(x.cpuUsPerRequest) ? `, server CPU ${x.cpuUsPerRequest.toFixed(0)} µs/request` : "");
    const cpuRatio = (x: { cpuUsPerRequest: number }) => (Number.isFinite(x.cpuUsPerRequest) ? ` (by server CPU per request: ${(h.cpuUsPerRequest / x.cpuUsPerRequest).toFixed(3)})` : "");
    log(`health:          ${h.rps.toFixed(0)} req/s (${h.requests} requests${cpu(h)})`);
    log(`resolve (one):   ${rs.rps.toFixed(0)} req/s (${rs.requests} requests${cpu(rs)}) → ratio ${resolveRatio.toFixed(3)}${cpuRatio(rs)} (goal ≥ 0.9)`);
    log(`resolve (list):  ${ls.rps.toFixed(0)} req/s (${ls.requests} requests${cpu(ls)}) → ratio ${listRatio.toFixed(3)}${cpuRatio(ls)}, ${functionCount} functions listed`);
    for (const [p, rs2] of also) log(`${p}: ${sum(rs2).rps.toFixed(0)} req/s${cpu(sum(rs2))} → ratio ${(sum(rs2).rps / h.rps).toFixed(3)}${cpuRatio(sum(rs2))}`);
    log(`proxy p50 ${percentile(proxy.latencies, 50).toFixed(3)} ms − direct p50 ${percentile(direct.latencies, 50).toFixed(3)} ms = ${overhead.toFixed(3)} ms (goal ≤ 2)`);
    await stopAll();
    console.log(`RESULT resolve_ratio=${resolveRatio.toFixed(3)} proxy_overhead_p50_ms=${overhead.toFixed(3)}`);
    return 0;
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    await stopAll();
    return 1;
  }
}

exitWithMain(main);
