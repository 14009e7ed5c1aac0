import { afterEach, describe, expect, it } from "vitest";
import { emptyBudgetSnapshot, setBudgetStatsSource, type BudgetLeaseInfo } from "@/lib/nyckel/budget/stats";
import { getBudgetView } from "./budget-view";

const NOW = Date.parse("2026-12-06T12:00:00Z");

function lease(processId: string, host: string, pid: number, grantedRate: number, serving: { rate: number; inFlight: number }): BudgetLeaseInfo {
  return {
    processId,
    role: "web",
    host,
    pid,
    grantedRate,
    grantedConcurrency: Math.round(grantedRate),
    classes: { serving, interactive: { rate: 0, inFlight: 0 }, batch: { rate: 3, inFlight: 2 }, shadow: { rate: 0, inFlight: 0 } },
    renewedAt: new Date(NOW - 120),
    expiresAt: new Date(NOW + 880),
  };
}

afterEach(() => {
  setBudgetStatsSource({ snapshot: emptyBudgetSnapshot, leases: async () => [] });
});

describe("the Budget panel's view", () => {
  it("is idle with zeros and no processes before any process calls Nyckel", async () => {
    const view = await getBudgetView(NOW);
    expect(view.mode).toBe("idle");
    expect(view.effectiveRate).toBeNull();
    expect(view.processes).toEqual([]);
    expect(view.classes.map((c) => c.name)).toEqual(["serving", "interactive", "batch", "shadow"]);
    expect(view.classes.every((c) => c.rate === 0 && c.inFlight === 0 && c.refused === 0)).toBe(true);
  });

  it("sums rate and in-flight over the leases, keeps this server's refusals, and marks this server", async () => {
    const snapshot = emptyBudgetSnapshot();
    snapshot.processId = "p1";
    snapshot.mode = "leased";
    snapshot.effectiveRate = 20;
    snapshot.classes.serving.refused = 4;
    const leases = [lease("p2", "b-host", 7, 15, { rate: 6, inFlight: 1 }), lease("p1", "a-host", 9, 5, { rate: 2.25, inFlight: 3 })];
    setBudgetStatsSource({ snapshot: () => snapshot, leases: async () => leases });
    const view = await getBudgetView(NOW);
    expect(view.mode).toBe("leased");
    expect(view.effectiveRate).toBe(20);
    expect(view.classes.find((c) => c.name === "serving")).toEqual({ name: "serving", rate: 8.3, inFlight: 4, refused: 4 });
    expect(view.classes.find((c) => c.name === "batch")).toMatchObject({ rate: 6, inFlight: 4 });
    expect(view.processes.map((p) => [p.host, p.self, p.share, p.renewedAgoMs])).toEqual([
      ["a-host", true, 0.25, 120],
      ["b-host", false, 0.75, 120],
    ]);
  });
});
