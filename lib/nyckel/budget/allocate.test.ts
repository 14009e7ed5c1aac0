import { describe, expect, it } from "vitest";
import { allocate, apportion, idleDemand, waterfill, type ClassDemand, type LeaseDemand } from "./allocate";
import type { BudgetClass } from "./stats";

type Want = Partial<Record<BudgetClass, Partial<ClassDemand>>>;

function lease(processId: string, want: Want = {}, serves = true): LeaseDemand {
  const demand = idleDemand();
  for (const [cls, d] of Object.entries(want) as Array<[BudgetClass, Partial<ClassDemand>]>) demand[cls] = { ...demand[cls], ...d };
  return { processId, serves, demand };
}

function sums(grants: Map<string, { rate: number; concurrency: number; nonServingRate: number; nonServingConcurrency: number }>) {
  let rate = 0;
  let concurrency = 0;
  let nonServingRate = 0;
  let nonServingConcurrency = 0;
  for (const g of grants.values()) {
    rate += g.rate;
    concurrency += g.concurrency;
    nonServingRate += g.nonServingRate;
    nonServingConcurrency += g.nonServingConcurrency;
  }
  return { rate, concurrency, nonServingRate, nonServingConcurrency };
}

describe("apportion and waterfill", () => {
  it("split whole units without losing or adding any", () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(5, [0, 0])).toEqual([3, 2]);
    expect(waterfill(10, [2, 20, 20])).toEqual([2, 4, 4]);
    expect(waterfill(10, [1, 1])).toEqual([1, 1]);
  });
});

describe("allocate", () => {
  const base = { rate: 25, concurrency: 25, servingReserve: 0.4 };

  it("gives a lone comparison the whole budget when nothing serves", () => {
    const a = allocate({ ...base, leases: [lease("w", { batch: { rate: 25, waiting: 40 } }, false)] });
    expect(a.servingActive).toBe(false);
    expect(a.grants.get("w")).toEqual({ rate: 25, concurrency: 25, nonServingRate: 25, nonServingConcurrency: 25 });
  });

  it("keeps serving's reserve while serving is active, and a floor for each process that serves", () => {
    const a = allocate({
      ...base,
      leases: [lease("web1", { serving: { rate: 3 } }), lease("web2"), lease("worker", { batch: { rate: 25, waiting: 50, inFlight: 20 } }, false)],
    });
    expect(a.servingActive).toBe(true);
    const total = sums(a.grants);
    expect(total.rate).toBe(25);
    expect(total.concurrency).toBe(25);
    expect(total.nonServingRate).toBeLessThanOrEqual(15);
    expect(a.grants.get("worker")!.rate).toBe(15);
    expect(a.grants.get("web2")!.rate).toBeGreaterThanOrEqual(1);
    expect(a.grants.get("web1")!.rate).toBeGreaterThanOrEqual(3);
  });

  it("gives shadow, refused so far (nothing in flight), a rate and a concurrency share while serving is active", () => {
    const a = allocate({ ...base, leases: [lease("web", { serving: { rate: 10 }, shadow: { rate: 10 } })] });
    expect(a.servingActive).toBe(true);
    expect(a.grants.get("web")!.nonServingRate).toBeGreaterThanOrEqual(10);
    expect(a.grants.get("web")!.nonServingConcurrency).toBeGreaterThanOrEqual(10);
  });

  it("serves interactive demand before batch within the non-serving cap", () => {
    const a = allocate({
      ...base,
      leases: [lease("a", { serving: { rate: 1 }, interactive: { rate: 4, waiting: 2 } }), lease("b", { batch: { rate: 30, waiting: 30 } }, false)],
    });
    expect(a.grants.get("a")!.nonServingRate).toBe(6);
    expect(a.grants.get("b")!.nonServingRate).toBe(9);
  });

  it("without leases grants nothing, and never more than a tiny total allows", () => {
    expect(allocate({ ...base, leases: [] }).grants.size).toBe(0);
    const tiny = allocate({ rate: 3, concurrency: 2, servingReserve: 0.4, leases: ["a", "b", "c"].map((id) => lease(id, { batch: { waiting: 5 } })) });
    expect(sums(tiny.grants).rate).toBe(3);
    expect(sums(tiny.grants).concurrency).toBe(2);
  });

  it("computes the same answer whatever order the rows come in", () => {
    const leases = [lease("b", { serving: { rate: 2 } }), lease("a", { batch: { rate: 9, waiting: 3 } }), lease("c", { interactive: { waiting: 1 } })];
    const one = allocate({ ...base, leases });
    const two = allocate({ ...base, leases: [...leases].reverse() });
    expect([...one.grants.entries()].sort()).toEqual([...two.grants.entries()].sort());
  });
});

/**
 * A simulation of N processes renewing every 150 ms (at staggered moments, each
 * reading the rows as they were then), with the coordinator's rule that a share
 * rises only after it has been the answer for 1.31 s. Checks, in every 10 ms step:
 * the grants in force never add up to more than the totals, within any one-second
 * window the most each process may have started adds up to at most the rate, and
 * serving keeps its reserve while it is active.
 */
function simulate(processes: number, steps: number, kill?: { id: string; atMs: number }) {
  const rate = 25;
  const concurrency = 25;
  const reserve = 0.4;
  const renewMs = 150;
  const riseMs = 1000 + 10 + 2 * renewMs;
  const leaseMs = 1000;
  const ids = Array.from({ length: processes }, (_, i) => `p${String(i).padStart(2, "0")}`);
  // Half serve (web), the rest are workers with batch work; serving demand comes and goes.
  const serves = (i: number) => i % 2 === 0;
  type Proc = { id: string; offset: number; history: Array<{ at: number; rate: number; conc: number; ns: number }>; effRate: number; effConc: number; effNs: number; lastRenew: number };
  const procs: Proc[] = ids.map((id, i) => ({ id, offset: (i * 30) % renewMs, history: [], effRate: 0, effConc: 0, effNs: 0, lastRenew: -Infinity }));
  const published = new Map<string, { rate: number; conc: number }>();
  const rows = new Map<string, { lease: LeaseDemand; expiresAt: number }>();
  const inForce: Array<{ t: number; rates: Map<string, number> }> = [];
  const violations: string[] = [];
  let reserveChecks = 0;
  let killedShareBack: number | null = null;
  for (let step = 0; step < steps; step++) {
    const t = step * 10;
    const servingOn = Math.floor(t / 2000) % 2 === 1; // serving for 2 s, off for 2 s
    for (const [i, p] of procs.entries()) {
      if (kill && p.id === kill.id && t >= kill.atMs) continue;
      if ((t - p.offset) % renewMs !== 0 || t < p.offset) continue;
      const want: Want = serves(i) ? (servingOn ? { serving: { rate: 4 } } : {}) : { batch: { rate: p.effRate, waiting: 10 } };
      rows.set(p.id, { lease: lease(p.id, want, serves(i)), expiresAt: t + leaseMs });
      for (const [id, row] of rows) if (row.expiresAt < t) rows.delete(id);
      const a = allocate({ rate, concurrency, servingReserve: reserve, leases: [...rows.values()].map((r) => r.lease) });
      const g = a.grants.get(p.id)!;
      if (p.history.length === 0 && rows.size > 1) {
        // What the others may still use: the shares they published.
        let rateRoom = rate;
        let concRoom = concurrency;
        for (const [id, other] of published) {
          if (id === p.id || !rows.has(id)) continue;
          rateRoom -= other.rate;
          concRoom -= other.conc;
        }
        p.history.push({ at: t, rate: Math.max(0, rateRoom), conc: Math.max(0, concRoom), ns: Math.max(0, rateRoom) });
      }
      p.history.push({ at: t, rate: g.rate, conc: g.concurrency, ns: g.nonServingRate });
      p.history = p.history.filter((h) => t - h.at <= riseMs);
      p.effRate = Math.min(...p.history.map((h) => h.rate));
      p.effConc = Math.min(...p.history.map((h) => h.conc));
      p.effNs = Math.min(...p.history.map((h) => h.ns));
      published.set(p.id, { rate: p.effRate, conc: p.effConc });
      if (a.servingActive && !serves(i)) reserveChecks++;
      if (a.servingActive && !serves(i) && p.effNs > Math.floor((1 - reserve) * rate)) violations.push(`t=${t} ${p.id} non-serving ${p.effNs}`);
    }
    const alive = procs.filter((p) => !(kill && p.id === kill.id && t >= kill.atMs));
    const rateNow = alive.reduce((a, p) => a + p.effRate, 0);
    const concNow = alive.reduce((a, p) => a + p.effConc, 0);
    if (rateNow > rate) violations.push(`t=${t} rate ${rateNow}`);
    if (concNow > concurrency) violations.push(`t=${t} concurrency ${concNow}`);
    inForce.push({ t, rates: new Map(procs.map((p) => [p.id, alive.includes(p) ? p.effRate : 0])) });
    // Within any window of one second, each process starts at most the largest share it had in that window.
    const window = inForce.filter((x) => t - x.t < 1000);
    let worst = 0;
    for (const p of procs) worst += Math.max(0, ...window.map((x) => x.rates.get(p.id) ?? 0));
    if (worst > rate) violations.push(`t=${t} window ${worst}`);
    if (kill && t > kill.atMs && killedShareBack === null) {
      if (rows.has(kill.id) === false && alive.reduce((a, p) => a + p.effRate, 0) === rate) killedShareBack = t - kill.atMs;
    }
  }
  return { violations, reserveChecks, killedShareBack, finalRate: procs.filter((p) => !(kill && p.id === kill.id)).reduce((a, p) => a + p.effRate, 0) };
}

describe("allocate in a simulation", () => {
  it("2 processes: never over the limits, serving keeps its reserve", () => {
    const r = simulate(2, 1200);
    expect(r.violations).toEqual([]);
    expect(r.reserveChecks).toBeGreaterThan(0);
  });

  it("9 processes: never over the limits, serving keeps its reserve", () => {
    const r = simulate(9, 1200);
    expect(r.violations).toEqual([]);
    expect(r.reserveChecks).toBeGreaterThan(0);
  });

  it("a killed process's share returns once its lease has expired", () => {
    const r = simulate(8, 1000, { id: "p01", atMs: 5_000 });
    expect(r.violations).toEqual([]);
    expect(r.killedShareBack).not.toBeNull();
    // Lease (1 s) + the rise delay (1.31 s) + a few renewals.
    expect(r.killedShareBack!).toBeLessThanOrEqual(1000 + 1310 + 3 * 150);
    expect(r.finalRate).toBe(25);
  });
});
