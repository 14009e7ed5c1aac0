import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { trackPool, untrackPool } from "@/lib/db/pool-registry";
import { ConfigError, parseConfig, resetConfigForTests } from "@/lib/env";
import { emptyBudgetSnapshot, setBudgetStatsSource } from "@/lib/nyckel/budget/stats";
import { bearerMatches, metricsResponse } from "./endpoint";
import { measureProxy, measureResolve, observeProxy, observeResolve } from "./serving";

const TOKEN = "metrics-token-0123456789abcdef";
const saved = { token: process.env.MODELPIN_METRICS_TOKEN, db: process.env.DATABASE_URL };

function useToken(token: string | undefined) {
  if (token === undefined) delete process.env.MODELPIN_METRICS_TOKEN;
  else process.env.MODELPIN_METRICS_TOKEN = token;
  resetConfigForTests();
}

function scrape(authorization?: string): Promise<Response> {
  return metricsResponse(new Request("http://modelpin.test/metrics", { headers: authorization ? { authorization } : {} }));
}

async function text(): Promise<string> {
  const res = await scrape(`Bearer ${TOKEN}`);
  expect(res.status).toBe(200);
  return res.text();
}

beforeEach(() => {
  delete process.env.DATABASE_URL; // no job queue figures: nothing to query
  useToken(TOKEN);
});

afterAll(() => {
  process.env.MODELPIN_METRICS_TOKEN = saved.token;
  if (saved.db !== undefined) process.env.DATABASE_URL = saved.db;
  resetConfigForTests();
});

describe("the token gate", () => {
  it("answers 404 while MODELPIN_METRICS_TOKEN is unset, even with a token", async () => {
    useToken(undefined);
    const res = await scrape(`Bearer ${TOKEN}`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "not_found" });
  });

  it("answers 401 with WWW-Authenticate without the token, with another token, or another scheme", async () => {
    for (const authorization of [undefined, "Bearer wrong-token-0123456789abcdef", `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, "Bearer"]) {
      const res = await scrape(authorization);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="modelpin-metrics"');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
  });

  it("answers 200 in Prometheus' text format with the token", async () => {
    const res = await scrape(`bearer  ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("compares the whole token", () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(null, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
  });

  it("refuses a token shorter than 16 characters at start, naming the variable", () => {
    const short = { NODE_ENV: "test", MODELPIN_METRICS_TOKEN: "too-short" } as const;
    expect(() => parseConfig(short)).toThrow(ConfigError);
    expect(() => parseConfig(short)).toThrow(/MODELPIN_METRICS_TOKEN must be at least 16 characters/);
    expect(() => parseConfig({ NODE_ENV: "test", MODELPIN_METRICS_TOKEN: "sixteen chars and spaces" })).toThrow(/MODELPIN_METRICS_TOKEN must not contain spaces/);
  });
});

describe("the metrics text", () => {
  it("counts proxy and resolve answers with bounded labels and latency histograms", async () => {
    // No serving cache in a unit test: every environment and function is "(unknown)", the unidentified one "(none)".
    observeProxy({ environment: "", functionId: "function_abc", status: 401, seconds: 0.002 });
    observeProxy({ environment: "production", functionId: "/etc/passwd", status: 200, seconds: 0.03 });
    observeProxy({ environment: "production", functionId: "function_other", status: 200, seconds: 0.2 });
    observeResolve({ environment: "staging", status: 200, seconds: 0.0004 });
    const t = await text();
    expect(t).toContain("# TYPE modelpin_proxy_requests_total counter");
    expect(t).toContain('modelpin_proxy_requests_total{environment="(none)",function="(unknown)",status="401"} 1');
    expect(t).toContain('modelpin_proxy_requests_total{environment="(unknown)",function="(unknown)",status="200"} 2');
    expect(t).toContain("# TYPE modelpin_proxy_request_duration_seconds histogram");
    expect(t).toContain('modelpin_proxy_request_duration_seconds_bucket{le="0.05",environment="(unknown)",function="(unknown)"} 1');
    expect(t).toContain('modelpin_proxy_request_duration_seconds_count{environment="(unknown)",function="(unknown)"} 2');
    expect(t).toContain('modelpin_resolve_requests_total{environment="(unknown)",status="200"} 1');
    expect(t).toContain('modelpin_resolve_request_duration_seconds_bucket{le="0.0005",environment="(unknown)"} 1');
    expect(t).not.toContain("passwd");
    expect(t).not.toContain("function_abc");
  });

  it("counts nothing while /metrics is off, and counts measured answers once it is on", async () => {
    useToken(undefined);
    await measureProxy("function_off", async () => ({ status: 204, headers: {}, body: null }));
    await measureResolve("staging", async () => new Response(null, { status: 304 }));
    useToken(TOKEN);
    let t = await text();
    expect(t).not.toContain('status="204"');
    expect(t).not.toContain('status="304"');
    const answer = { status: 204, headers: { "X-Modelpin-Environment": "" }, body: null };
    expect(await measureProxy("function_on", async () => answer)).toBe(answer);
    await measureResolve("staging", async () => new Response(null, { status: 304 }));
    t = await text();
    expect(t).toContain('modelpin_proxy_requests_total{environment="(none)",function="(unknown)",status="204"} 1');
    expect(t).toContain('modelpin_resolve_requests_total{environment="(unknown)",status="304"} 1');
  });

  it("reports the Nyckel budget by class, with zeros before the budget starts", async () => {
    let t = await text();
    expect(t).toContain('modelpin_budget_permits_total{class="serving"} 0');
    expect(t).toContain("modelpin_nyckel_429_total 0");
    expect(t).toContain('modelpin_budget_mode{mode="idle"} 1');

    const snapshot = emptyBudgetSnapshot();
    snapshot.mode = "leased";
    snapshot.nyckel429 = 3;
    snapshot.effectiveRate = 12.5;
    Object.assign(snapshot.classes.serving, { permits: 40, waits: 4, waitSecondsSum: 0.25, refused: 2, inFlight: 5, rate: 9 });
    Object.assign(snapshot.classes.batch, { permits: 900, inFlight: 7 });
    setBudgetStatsSource({ snapshot: () => snapshot, leases: async () => [] });
    t = await text();
    expect(t).toContain("# TYPE modelpin_budget_permits_total counter");
    expect(t).toContain('modelpin_budget_permits_total{class="serving"} 40');
    expect(t).toContain('modelpin_budget_permits_total{class="batch"} 900');
    expect(t).toContain('modelpin_budget_waits_total{class="serving"} 4');
    expect(t).toContain('modelpin_budget_wait_seconds_total{class="serving"} 0.25');
    expect(t).toContain('modelpin_budget_refused_total{class="serving"} 2');
    expect(t).toContain('modelpin_budget_in_flight{class="batch"} 7');
    expect(t).toContain('modelpin_budget_rate{class="serving"} 9');
    expect(t).toContain("modelpin_nyckel_429_total 3");
    expect(t).toContain("modelpin_budget_effective_rate 12.5");
    expect(t).toContain('modelpin_budget_mode{mode="leased"} 1');
    expect(t).toContain('modelpin_budget_mode{mode="idle"} 0');
  });

  it("reports each registered database pool, and forgets a closed one", async () => {
    trackPool("metrics-test", 10, () => ({ totalCount: 3, idleCount: 1, waitingCount: 2 }));
    let t = await text();
    expect(t).toContain('modelpin_db_pool_connections{pool="metrics-test"} 3');
    expect(t).toContain('modelpin_db_pool_idle_connections{pool="metrics-test"} 1');
    expect(t).toContain('modelpin_db_pool_waiting_queries{pool="metrics-test"} 2');
    expect(t).toContain('modelpin_db_pool_max_connections{pool="metrics-test"} 10');
    untrackPool("metrics-test");
    t = await text();
    expect(t).not.toContain('pool="metrics-test"');
  });

  it("includes Node's default process metrics and the job queue gauges", async () => {
    const t = await text();
    expect(t).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(t).toContain("# TYPE nodejs_heap_size_used_bytes gauge");
    expect(t).toContain("# TYPE modelpin_job_queue_depth gauge");
    expect(t).toContain("# TYPE modelpin_job_oldest_queued_seconds gauge");
  });
});
