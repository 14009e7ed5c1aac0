import { describe, expect, it } from "vitest";
import { BudgetExhaustedError, PermitGate, isBudgetExhausted, type Release } from "./budget";

const limits = (rate: number, concurrency: number, nonServingRate = rate, nonServingConcurrency = concurrency) => ({
  rate,
  concurrency,
  nonServingRate,
  nonServingConcurrency,
});

describe("PermitGate", () => {
  it("hands a freed slot to serving before interactive before batch, whatever the arrival order", async () => {
    const gate = new PermitGate(limits(100, 1));
    const first = await gate.acquire("batch");
    const order: string[] = [];
    const batch = gate.acquire("batch").then((r) => (order.push("batch"), r));
    const interactive = gate.acquire("interactive").then((r) => (order.push("interactive"), r));
    const serving = gate.acquire("serving").then((r) => (order.push("serving"), r));
    first();
    (await serving)();
    (await interactive)();
    (await batch)();
    expect(order).toEqual(["serving", "interactive", "batch"]);
  });

  it("keeps the non-serving classes to their cap while serving may use the whole share", async () => {
    const gate = new PermitGate(limits(100, 3, 100, 1));
    const batch = await gate.acquire("batch");
    expect(gate.tryAcquire("interactive")).toBeNull();
    const a = gate.tryAcquire("serving");
    const b = gate.tryAcquire("serving");
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(gate.tryAcquire("serving")).toBeNull();
    for (const r of [batch, a!, b!]) r();
    expect(gate.stats().interactive.refused).toBe(1);
  });

  it("refuses serving after its longest wait and shadow at once, counting both", async () => {
    const gate = new PermitGate(limits(100, 1));
    const held: Release = await gate.acquire("batch");
    await expect(gate.acquire("serving", { maxWaitMs: 20 })).rejects.toBeInstanceOf(BudgetExhaustedError);
    await expect(gate.acquire("shadow")).rejects.toBeInstanceOf(BudgetExhaustedError);
    held();
    const stats = gate.stats();
    expect(stats.serving.refused).toBe(1);
    expect(stats.shadow.refused).toBe(1);
    expect(stats.batch.permits).toBe(1);
  });

  it("never starts more than its rate in a window", async () => {
    let now = 0;
    const gate = new PermitGate(limits(3, 10), { now: () => now });
    for (let i = 0; i < 3; i++) gate.tryAcquire("batch")!();
    expect(gate.tryAcquire("batch")).toBeNull();
    now = 1_500;
    expect(gate.tryAcquire("batch")).not.toBeNull();
    expect(gate.usage().windowStarts).toBe(1);
  });

  it("acquireNow: a free permit at once, null (not a refusal) when none is free or a higher class waits", async () => {
    let now = 0;
    const gate = new PermitGate(limits(2, 1), { now: () => now });
    const first = gate.acquireNow("serving");
    expect(first).not.toBeNull();
    expect(gate.acquireNow("serving")).toBeNull(); // in flight: 1 of 1
    const waiting = gate.acquire("serving");
    first!();
    const second = await waiting;
    expect(gate.stats().serving).toMatchObject({ permits: 2, refused: 0 });
    second();
    expect(gate.acquireNow("batch")).toBeNull(); // two starts in this window: the rate is used
    now = 1_100;
    const batch = gate.acquireNow("batch");
    expect(batch).not.toBeNull();
    // A serving waiter is ahead of any later batch or serving request.
    const queued = gate.acquire("serving");
    expect(gate.acquireNow("batch")).toBeNull();
    expect(gate.acquireNow("serving")).toBeNull();
    batch!();
    (await queued)();
    expect(gate.stats().batch.refused).toBe(0);
  });

  it("keeps the window exact past a thousand starts a second (the count of kept records is only a shortcut)", async () => {
    let now = 0;
    const gate = new PermitGate(limits(1_000, 10), { now: () => now });
    for (let i = 0; i < 1_000; i++) {
      now = i * 0.5;
      gate.acquireNow("serving")!();
    }
    expect(gate.acquireNow("serving")).toBeNull();
    expect(gate.usage().windowStarts).toBe(1_000);
    now = 1_011; // the first starts have left the window (and its margin)
    expect(gate.acquireNow("serving")).not.toBeNull();
  });

  it("isBudgetExhausted knows the error by name too (another bundle's copy of the class)", () => {
    class OtherBundlesCopy extends Error {
      override name = "BudgetExhaustedError";
    }
    expect(isBudgetExhausted(new BudgetExhaustedError("serving", 250))).toBe(true);
    expect(isBudgetExhausted(new OtherBundlesCopy("No Nyckel budget"))).toBe(true);
    expect(isBudgetExhausted(new Error("No Nyckel budget"))).toBe(false);
    expect(isBudgetExhausted({ name: "BudgetExhaustedError" })).toBe(false);
  });
});
