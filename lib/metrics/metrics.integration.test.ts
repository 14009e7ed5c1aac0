import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as getMetrics } from "@/app/metrics/route";
import { withOwnerBoss } from "@/lib/db/jobs-schema";
import { resetConfigForTests } from "@/lib/env";
import { syncFunctions } from "@/lib/functions/service";
import { getBoss, QUEUES } from "@/lib/jobs/boss";
import { seededFunction } from "@/scripts/emulator/seed";
import { bearer, getPin, HOST, invoke, newEnvironment, newToken, pinTo, sys, until } from "@/scripts/testing/serving";
import { releaseServing } from "@/scripts/testing/teardown";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { ownerDatabaseUrl } from "@/scripts/testing/owner";

/**
 * GET /metrics after real traffic: a proxied invoke and resolve calls through
 * the route handlers (the real serving cache, PostgreSQL and the emulator),
 * then a scrape with and without the token.
 */
const triage = seededFunction("support-triage");
const TOKEN = "integration-metrics-token-0123456789";
const savedToken = process.env.MODELPIN_METRICS_TOKEN;
emulatorAsNyckelForFile({ rateLimit: false });

let environment: { id: string; slug: string };
let token: string;

function scrape(headers: Record<string, string> = {}): Promise<Response> {
  return getMetrics(new Request(`${HOST}/metrics`, { headers }));
}

/** The value of the sample line that starts with `series` (labels included), or null. */
function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  process.env.MODELPIN_METRICS_TOKEN = TOKEN;
  resetConfigForTests();
  await syncFunctions(sys);
  await getBoss(); // pg-boss's tables and queues exist
  environment = await newEnvironment();
  await pinTo(environment.id, triage.id, triage.modelIds[1]!);
  token = (await newToken(environment.id)).token;
  await until(async () => (await getPin(environment.slug, triage.id, bearer(token))).status === 200, 2000);
});

afterAll(async () => {
  if (savedToken === undefined) delete process.env.MODELPIN_METRICS_TOKEN;
  else process.env.MODELPIN_METRICS_TOKEN = savedToken;
  resetConfigForTests();
  await releaseServing({ usage: true, boss: true, pool: true });
});

describe("GET /metrics after serving traffic", () => {
  it("refuses a scrape without the token or with another one", async () => {
    for (const headers of [{}, bearer("not-the-metrics-token-at-all"), bearer(token)]) {
      const res = await scrape(headers);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain("modelpin_");
    }
  });

  it("counts a proxied invoke and resolve answers by environment, function and status", async () => {
    const before = await (await scrape(bearer(TOKEN))).text();
    const okSeries = `modelpin_proxy_requests_total{environment="${environment.slug}",function="${triage.id}",status="200"}`;
    const countSeries = `modelpin_proxy_request_duration_seconds_count{environment="${environment.slug}",function="${triage.id}"}`;
    const resolveSeries = `modelpin_resolve_requests_total{environment="${environment.slug}",status="200"}`;
    const was = { ok: sample(before, okSeries) ?? 0, count: sample(before, countSeries) ?? 0, resolve: sample(before, resolveSeries) ?? 0 };

    const res = await invoke(triage.id, { headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify({ data: "refund please" }) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const unknown = await invoke("function_nosuchfunction", { headers: bearer("mp_" + "x".repeat(43)), body: "{}" });
    expect(unknown.status).toBe(401);
    expect((await getPin(environment.slug, triage.id, bearer(token))).status).toBe(200);
    expect((await getPin("no-such-environment-anywhere", triage.id, bearer(token))).status).toBe(403);

    const res2 = await scrape(bearer(TOKEN));
    expect(res2.status).toBe(200);
    expect(res2.headers.get("content-type")).toContain("text/plain");
    const text = await res2.text();
    expect(sample(text, okSeries)).toBe(was.ok + 1);
    expect(sample(text, countSeries)).toBe(was.count + 1);
    expect(sample(text, resolveSeries)).toBe(was.resolve + 1);
    expect(sample(text, 'modelpin_proxy_requests_total{environment="(none)",function="(unknown)",status="401"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'modelpin_resolve_requests_total{environment="(unknown)",status="403"}')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("nosuchfunction");
    expect(text).not.toContain("no-such-environment-anywhere");
    expect(text).not.toContain(token);

    // The job queues (from pg-boss's tables), the budget and the database pools are there too.
    expect(sample(text, `modelpin_job_queue_depth{queue="${QUEUES.comparisonRun}",state="queued"}`)).toBeGreaterThanOrEqual(0);
    expect(sample(text, `modelpin_job_oldest_queued_seconds{queue="${QUEUES.comparisonRun}"}`)).toBeGreaterThanOrEqual(0);
    expect(text).toContain("# TYPE modelpin_budget_permits_total counter");
    expect(text).toContain("# TYPE modelpin_db_pool_connections gauge");
  });

  it("reports each job queue's depth and the age of its oldest waiting job", async () => {
    const boss = await getBoss();
    const queue = `metrics-test-${Date.now()}`;
    // Creating a queue creates a table: the owner's job (the app role may not).
    await withOwnerBoss(ownerDatabaseUrl(), (owner) => owner.createQueue(queue));
    try {
      await boss.send(queue, { n: 1 });
      await boss.send(queue, { n: 2 });
      await new Promise((r) => setTimeout(r, 5_100)); // past the figures' cache
      const text = await (await scrape(bearer(TOKEN))).text();
      expect(sample(text, `modelpin_job_queue_depth{queue="${queue}",state="queued"}`)).toBe(2);
      expect(sample(text, `modelpin_job_queue_depth{queue="${queue}",state="active"}`)).toBe(0);
      expect(sample(text, `modelpin_job_oldest_queued_seconds{queue="${queue}"}`)).toBeGreaterThan(0);
    } finally {
      await boss.purgeQueue(queue);
      await withOwnerBoss(ownerDatabaseUrl(), (owner) => owner.deleteQueue(queue));
    }
  });

  it("is off (404) when MODELPIN_METRICS_TOKEN is unset", async () => {
    delete process.env.MODELPIN_METRICS_TOKEN;
    resetConfigForTests();
    try {
      expect((await scrape(bearer(TOKEN))).status).toBe(404);
    } finally {
      process.env.MODELPIN_METRICS_TOKEN = TOKEN;
      resetConfigForTests();
    }
  });
});
