import { describe, expect, it } from "vitest";
import { BudgetExhaustedError, PermitGate, type Release } from "./budget";

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
});
