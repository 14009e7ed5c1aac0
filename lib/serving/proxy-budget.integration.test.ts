/**
 * The invoke proxy and the Nyckel budget: proxy callers never see a Nyckel 429 caused
 * by Modelpin's own batch work, and a starved proxy request gets Modelpin's own 429.
 * Against the counting emulator with Nyckel's limits (25/s, 25 in flight).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { syncFunctions } from "@/lib/functions/service";
import { BudgetCoordinator } from "@/lib/nyckel/budget/coordinator";
import { getNyckelBudget } from "@/lib/nyckel/budget/service";
import type { Release } from "@/lib/nyckel/budget/budget";
import { NyckelClient } from "@/lib/nyckel/client";
import { seededFunction } from "@/scripts/emulator/seed";
import { getNyckelClient } from "@/lib/nyckel-settings/connection";
import { emulatorAsNyckelForFile } from "@/scripts/testing/emulator-as-nyckel";
import { releaseServing } from "@/scripts/testing/teardown";
import { getFunctionTraffic } from "./queries";
import { proxyErrorSchema } from "./schemas";
import { flushServingUsage } from "./usage";
import { bearer, getPins, invoke, newEnvironment, newToken, pinTo, sleep, sys, until } from "@/scripts/testing/serving";

const triage = seededFunction("support-triage");
const emulator = emulatorAsNyckelForFile({ faults: { pathIncludes: "/invoke", latencyRangeMs: [5, 30] } });
let environment: { id: string; slug: string };
let token: { id: string; token: string };

const body = (text: string) => ({ headers: { ...bearer(token.token), "content-type": "application/json" }, body: JSON.stringify({ data: text }) });

beforeAll(async () => {
  await syncFunctions(sys);
  environment = await newEnvironment();
  await pinTo(environment.id, triage.id, triage.modelIds[0]!);
  token = await newToken(environment.id);
  await until(async () => (await getPins("any", bearer(token.token))).status !== 401, 2000);
  // The process's budget starts with its first proxied call; let it settle as a running server's would be.
  expect((await invoke(triage.id, body("warm up"))).status).toBe(200);
  await sleep(1_500);
});

afterAll(() => releaseServing({ usage: true, budget: true }));

describe("invoke proxy under the Nyckel budget", () => {
  it("lets no Nyckel 429 reach proxy callers while batch work floods Nyckel from this and another process", async () => {
    emulator().state.resetCounters();
    const nyckel = (await getNyckelClient())!;
    // Another process: a worker with its own lease and pool.
    const worker = new BudgetCoordinator({ connectionString: inject("databaseUrl"), role: "worker", serves: false, rate: 25, concurrency: 25, servingReserve: 0.4 });
    await worker.start();
    const workerClient = new NyckelClient({
      baseUrl: emulator().url,
      clientId: emulator().state.clientId,
      clientSecret: emulator().state.clientSecret,
      maxRetries: 0,
      permits: { acquire: (cls, signal) => worker.acquire(cls, { signal }), reportRateLimited: () => worker.reportNyckel429() },
    });
    const stop = { done: false };
    const batchErrors: string[] = [];
    const loop = async (client: NyckelClient, n: number) => {
      for (let i = 0; !stop.done; i++) {
        await client
          .invoke(triage.id, { kind: "text", text: `batch ${n} ${i}` }, { capture: false, budgetClass: "batch" })
          .catch((e: unknown) => batchErrors.push(String(e)));
      }
    };
    try {
      const floods = [...Array.from({ length: 20 }, (_, n) => loop(nyckel.client, n)), ...Array.from({ length: 20 }, (_, n) => loop(workerClient, 100 + n))];
      const statuses: Array<Promise<number>> = [];
      for (let i = 0; i < 40; i++) {
        statuses.push(invoke(triage.id, body(`serving ${i}`)).then((r) => r.status));
        await sleep(100);
      }
      const answered = await Promise.all(statuses);
      stop.done = true;
      await Promise.all(floods);
      expect(answered.filter((s) => s !== 200)).toEqual([]);
      expect(emulator().state.counters().rateLimited).toMatchObject({ total: 0 });
      expect(batchErrors).toEqual([]);
      expect(emulator().state.counters().invokes).toBeGreaterThan(60);
    } finally {
      stop.done = true;
      await worker.stop();
    }
  });

  it("answers Modelpin's own 429 budget_exhausted with Retry-After when serving gets no permit in time, and counts it", async () => {
    const budget = getNyckelBudget();
    const held: Release[] = [];
    // This process alone again, with the whole budget: a share still rising (the test before's worker
    // has just left) would serve the request once risen instead of refusing it (docs/budget.md).
    for (const by = Date.now() + 5_000; budget.snapshot().grantedRate < budget.snapshot().effectiveRate && Date.now() < by; ) await sleep(50);
    expect(budget.snapshot().grantedRate).toBe(budget.snapshot().effectiveRate);
    try {
      // Serving itself holds every permit this process has, and the budget has renewed since
      // (serving is seen, its reserve in force): a request more is refused after the short wait.
      for (let r = budget.tryAcquire("serving"); r; r = budget.tryAcquire("serving")) held.push(r);
      expect(held.length).toBeGreaterThan(0);
      await sleep(400);
      const res = await invoke(triage.id, body("starved"));
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      const parsed = proxyErrorSchema.parse(await res.json());
      expect(parsed.error.code).toBe("budget_exhausted");
      expect(parsed.error.message).toMatch(/budget/i);
    } finally {
      for (const release of held) release();
    }
    await flushServingUsage();
    const traffic = (await getFunctionTraffic(triage.id)).find((t) => t.environment.id === environment.id)!;
    expect(traffic.budgetRefused).toBe(1);
    expect(traffic.nyckel429).toBe(0);
  });

  it("a lone proxied call while batch work holds the whole budget waits for serving's reserve instead of a 429", async () => {
    // A quiet deployment: the test before's serving has left Nyckel's window and the budget's view
    // (serving not seen at the last renewals, so batch may take everything).
    await sleep(2_500);
    const budget = getNyckelBudget();
    const held: Release[] = [];
    for (let r = budget.tryAcquire("batch"); r; r = budget.tryAcquire("batch")) held.push(r);
    expect(held.length).toBeGreaterThan(0);
    // Nyckel answers the batch work 300 ms later: longer than NYCKEL_SERVING_MAX_WAIT_MS (250); its starts
    // then stay in Nyckel's one-second window, and the serving request waits for them rather than being refused.
    const done = sleep(300).then(() => held.splice(0).forEach((release) => release()));
    const started = Date.now();
    const res = await invoke(triage.id, body("after batch"));
    await done;
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThan(250);
  });

  it("counts a Nyckel 429 that reaches a caller, and backs the budget off", async () => {
    await sleep(1_100); // the permits held by the test before have left the window
    emulator().state.setFaults({ pathIncludes: "/invoke", next: [429] });
    try {
      const res = await invoke(triage.id, body("limited"));
      expect(res.status).toBe(429);
      expect(await res.json()).toEqual({ message: expect.stringContaining("injected") });
    } finally {
      emulator().state.clearFaults();
    }
    await flushServingUsage();
    const traffic = (await getFunctionTraffic(triage.id)).find((t) => t.environment.id === environment.id)!;
    expect(traffic.nyckel429).toBe(1);
    expect(getNyckelBudget().snapshot().nyckel429).toBe(1);
  });
});
