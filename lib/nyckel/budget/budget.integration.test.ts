/**
 * Two budget instances (separate pools, as two processes would have) on the real
 * PostgreSQL, spending one Nyckel account on the counting emulator (25/s, 25 in flight).
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { NyckelClient } from "@/lib/nyckel/client";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { seededFunction } from "@/scripts/emulator/seed";
import { BudgetExhaustedError } from "./budget";
import { BudgetCoordinator } from "./coordinator";
import type { BudgetClass } from "./stats";

const url = inject("databaseUrl");
const fn = seededFunction("support-triage");
let emulator: EmulatorHandle;
let admin: pg.Client;
const running: BudgetCoordinator[] = [];
/** Every flood's stop flag, set in afterEach too (a failed assertion must not leave loops running). */
const flags: Array<{ done: boolean }> = [];

function coordinator(role: string, serves: boolean): BudgetCoordinator {
  const c = new BudgetCoordinator({ connectionString: url, role, serves, rate: 25, concurrency: 25, servingReserve: 0.4 });
  running.push(c);
  return c;
}

function clientOf(c: BudgetCoordinator): NyckelClient {
  return new NyckelClient({
    baseUrl: emulator.url,
    clientId: emulator.state.clientId,
    clientSecret: emulator.state.clientSecret,
    maxRetries: 0,
    permits: { acquire: (cls, signal) => c.acquire(cls, { signal }), reportRateLimited: () => c.reportNyckel429() },
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Serving request `i`: "ok", "refused" (the budget said no) or the error's text. */
function serve(client: NyckelClient, i: number): Promise<string> {
  return client
    .invoke(fn.id, { kind: "text", text: `serving ${i}` }, { capture: false, budgetClass: "serving" })
    .then(() => "ok")
    .catch((error: unknown) => (error instanceof BudgetExhaustedError ? "refused" : String(error)));
}

/** `workers` loops invoking as fast as the budget lets them, until `stop` is set. */
function flood(
  client: NyckelClient,
  cls: BudgetClass,
  workers: number,
  stop: { done: boolean; signal?: AbortSignal },
): Promise<{ ok: number; failed: string[] }> {
  flags.push(stop);
  const result = { ok: 0, failed: [] as string[] };
  const loop = async (w: number) => {
    for (let i = 0; !stop.done; i++) {
      try {
        await client.invoke(fn.id, { kind: "text", text: `flood ${w} ${i}` }, { capture: false, budgetClass: cls, signal: stop.signal });
        result.ok++;
      } catch (error) {
        if (!stop.done) result.failed.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  return Promise.all(Array.from({ length: workers }, (_, w) => loop(w))).then(() => result);
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, quiet: true, faults: { pathIncludes: "/invoke", latencyRangeMs: [5, 40] } });
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});

beforeEach(async () => {
  // The previous test's processes are gone (rows deleted below), but their last starts are still in the
  // emulator's one-second window, which the new processes cannot know of: let that window empty first.
  await sleep(1_100);
  await admin.query("DELETE FROM nyckel_budget_leases");
  await admin.query("UPDATE nyckel_budget_state SET factor = 1, decreased_at = NULL");
  emulator.state.resetCounters();
});

afterEach(async () => {
  for (const flag of flags.splice(0)) flag.done = true;
  for (const c of running.splice(0)) await c.stop();
});

afterAll(async () => {
  await admin.end();
  await emulator.close();
});

describe("the Nyckel budget across two processes", () => {
  it("keeps two batch floods together under Nyckel's limits, and uses the budget", async () => {
    const a = coordinator("worker", false);
    const b = coordinator("worker", false);
    await Promise.all([a.start(), b.start()]);
    const stop = { done: false };
    const runs = [flood(clientOf(a), "batch", 30, stop), flood(clientOf(b), "batch", 30, stop)];
    await sleep(4_000);
    stop.done = true;
    const [ra, rb] = await Promise.all(runs);
    const counters = emulator.state.counters();
    expect(counters.rateLimited).toMatchObject({ total: 0 });
    expect(counters.maxStartsInWindow).toBeLessThanOrEqual(25);
    expect(counters.maxInFlight).toBeLessThanOrEqual(25);
    expect([...ra!.failed, ...rb!.failed]).toEqual([]);
    // Both got work done (the split follows demand; neither starves).
    expect(ra!.ok).toBeGreaterThan(10);
    expect(rb!.ok).toBeGreaterThan(10);
  });

  it("keeps serving's reserve under a batch flood: no serving request refused, no Nyckel 429", async () => {
    const web = coordinator("web", true);
    const worker = coordinator("worker", false);
    await Promise.all([web.start(), worker.start()]);
    // Both have been up a while (two processes that start together rise to their shares after ~1.3 s).
    await sleep(1_500);
    const webClient = clientOf(web);
    // Serving traffic first (8 requests/s, open loop), then the flood joins.
    const serving: Array<Promise<string>> = [];
    const stop = { done: false };
    let batch: Promise<{ ok: number; failed: string[] }> | null = null;
    const batchCaps: number[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 8) batch = flood(clientOf(worker), "batch", 40, stop);
      if (i > 8) batchCaps.push(worker.gate.limits.nonServingRate);
      serving.push(serve(webClient, i));
      await sleep(125);
    }
    const outcomes = await Promise.all(serving);
    stop.done = true;
    const batchResult = await batch!;
    expect(outcomes.map((o, i) => `${i} ${o}`).filter((o) => !o.endsWith(" ok"))).toEqual([]);
    expect(emulator.state.counters().rateLimited).toMatchObject({ total: 0 });
    expect(batchResult.failed).toEqual([]);
    expect(batchResult.ok).toBeGreaterThan(20);
    // While serving was active, batch held at most (1 − 0.4) × 25 per second.
    expect(Math.max(...batchCaps)).toBeLessThanOrEqual(15);
    expect(web.snapshot().classes.serving.permits).toBeGreaterThanOrEqual(40);
  });

  it("serving that returns after a quiet spell, while a worker's interactive work is busy, is served — not refused — and then a batch flood joins", async () => {
    // bench:budget's shape: two web processes that served a little, went quiet, and a worker busy
    // with interactive work (a sync) when proxy traffic comes back at 10 requests/s.
    const webs = [coordinator("all", true), coordinator("all", true)];
    const worker = coordinator("worker", false);
    await Promise.all([...webs, worker].map((c) => c.start()));
    await sleep(1_500);
    const clients = webs.map(clientOf);
    for (const c of clients) await c.invoke(fn.id, { kind: "text", text: "warm-up" }, { capture: false, budgetClass: "serving" });
    const stop = { done: false };
    const interactive = (async () => {
      const client = clientOf(worker);
      for (let i = 0; !stop.done; i++) {
        await client.invoke(fn.id, { kind: "text", text: `sync ${i}` }, { capture: false, budgetClass: "interactive" }).catch(() => undefined);
        await sleep(80);
      }
    })();
    await sleep(2_500); // serving is quiet now; the worker's interactive demand is in the leases
    const serving: Array<Promise<string>> = [];
    let batch: Promise<{ ok: number; failed: string[] }> | null = null;
    for (let i = 0; i < 40; i++) {
      if (i === 10) batch = flood(clientOf(worker), "batch", 30, stop);
      serving.push(serve(clients[i % 2]!, i));
      await sleep(100);
    }
    const outcomes = await Promise.all(serving);
    stop.done = true;
    await Promise.all([interactive, batch!]);
    expect(outcomes.map((o, i) => `${i} ${o}`).filter((o) => !o.endsWith(" ok"))).toEqual([]);
    expect(emulator.state.counters().rateLimited).toMatchObject({ total: 0 });
  });

  it("gives a killed process's share back once its lease expires", async () => {
    const a = coordinator("worker", false);
    const b = coordinator("worker", false);
    // In the same instant: each rises from its fallback share, so neither takes the whole budget
    // before it sees the other's row.
    await Promise.all([a.start(), b.start()]);
    const stop = { done: false };
    const runA = flood(clientOf(a), "batch", 30, stop);
    // A real kill ends the process's requests with it: none of b's can reach Nyckel afterwards.
    const killB = new AbortController();
    const stopB = { done: false, signal: killB.signal };
    const runB = flood(clientOf(b), "batch", 30, stopB);
    // Both hold a share once they have risen from their start-up shares (~1.3 s).
    const sharedBy = performance.now() + 6_000;
    await sleep(1_500);
    while (a.snapshot().grantedRate >= 25 && performance.now() < sharedBy) await sleep(50);
    expect(a.snapshot().grantedRate).toBeLessThan(25);
    expect(b.snapshot().grantedRate).toBeGreaterThan(0);
    expect(emulator.state.counters().rateLimited).toMatchObject({ total: 0 });
    // "Kill" b: it stops renewing and starting, its requests in flight end, and its row stays behind.
    stopB.done = true;
    killB.abort(new Error("killed"));
    await b.stop({ release: false });
    const killedAt = performance.now();
    let back: number | null = null;
    while (performance.now() - killedAt < 10_000) {
      const snap = a.snapshot();
      if (process.env.BUDGET_DEBUG) console.log(Math.round(performance.now() - killedAt), snap.mode, snap.grantedRate, snap.effectiveRate);
      if (snap.grantedRate === 25) {
        back = performance.now() - killedAt;
        break;
      }
      await sleep(25);
    }
    stop.done = true;
    await Promise.all([runA, runB]);
    if (back === null) console.log("not back", a.snapshot(), emulator.state.counters().rateLimited);
    expect(back).not.toBeNull();
    // Lease (1 s) + a renewal + the rise delay (1.31 s) — "within a second or two" with a margin for a busy machine.
    expect(back!).toBeLessThan(5_000);
    console.log(`killed process's share back after ${Math.round(back!)} ms`);
    expect(emulator.state.counters().rateLimited).toMatchObject({ total: 0 });
  });

  it("a process that starts right after another's clean stop does not overrun the stopped one's last starts", async () => {
    const a = coordinator("worker", false);
    await a.start();
    const stopA = { done: false };
    const runA = flood(clientOf(a), "batch", 30, stopA);
    // a alone: it rises from its start-up share to the whole budget.
    const risenBy = performance.now() + 5_000;
    while (a.snapshot().grantedRate < 25 && performance.now() < risenBy) await sleep(50);
    expect(a.snapshot().grantedRate).toBe(25);
    await sleep(1_200); // a's starts fill Nyckel's window
    stopA.done = true;
    await a.stop();
    const left = await admin.query<{ granted_rate: number }>("SELECT granted_rate FROM nyckel_budget_leases WHERE process_id = $1", [a.processId]);
    // Its row stays for a window, with its starts as its use.
    expect(left.rows[0]?.granted_rate ?? 0).toBeGreaterThan(0);
    const b = coordinator("worker", false);
    await b.start();
    const stopB = { done: false };
    const runB = flood(clientOf(b), "batch", 30, stopB);
    await sleep(2_500);
    stopB.done = true;
    const [ra, rb] = await Promise.all([runA, runB]);
    expect(emulator.state.counters().rateLimited).toMatchObject({ total: 0 });
    expect([...ra.failed, ...rb.failed]).toEqual([]);
    expect(rb.ok).toBeGreaterThan(10);
    const gone = await admin.query("SELECT 1 FROM nyckel_budget_leases WHERE process_id = $1", [a.processId]);
    expect(gone.rowCount).toBe(0);
  });

  it("backs every process off after a Nyckel 429 and recovers", async () => {
    const a = coordinator("worker", false);
    const b = coordinator("web", true);
    await Promise.all([a.start(), b.start()]);
    emulator.state.setFaults({ pathIncludes: "/invoke", next: [429] });
    await expect(clientOf(a).invoke(fn.id, { kind: "text", text: "x" }, { capture: false, budgetClass: "batch" })).rejects.toThrow(/429/);
    let seen = false;
    for (let i = 0; i < 40 && !seen; i++) {
      await sleep(50);
      seen = b.snapshot().effectiveRate < 25;
    }
    expect(seen).toBe(true);
    const { rows } = await admin.query<{ factor: number }>("SELECT factor FROM nyckel_budget_state WHERE id = 1");
    expect(rows[0]!.factor).toBeLessThan(1);
    expect(rows[0]!.factor).toBeGreaterThanOrEqual(0.2);
  });

  it("falls back to a safe local share when the database cannot be reached", async () => {
    const c = new BudgetCoordinator({ connectionString: url.replace(/:(\d+)\//, ":1/"), role: "web", serves: true, rate: 25, concurrency: 25, servingReserve: 0.4 });
    running.push(c);
    await c.start();
    const snap = c.snapshot();
    expect(snap.mode).toBe("fallback");
    expect(snap.grantedRate).toBeLessThanOrEqual(7);
    const release = await c.acquire("interactive");
    release();
  });
});
