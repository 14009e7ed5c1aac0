/**
 * The limiter requirement: a burst of 200 invokes against the emulator at its
 * default limits (25 requests per sliding second, 25 concurrent) finishes with zero
 * 429s — none reaching the caller, and none emitted by the emulator at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isNyckelError } from "./errors";
import { resetSharedLimiters } from "./limiter";
import { seededFunction } from "@/scripts/emulator/seed";
import { startEmulator, type EmulatorHandle } from "@/scripts/emulator/server";
import { countingFetch, emulatorClient } from "@/scripts/testing/nyckel";

let emu: EmulatorHandle;
const triage = seededFunction("support-triage");

beforeAll(async () => {
  emu = await startEmulator({ port: 0, quiet: true }); // default limits: 25/s, 25 concurrent
  resetSharedLimiters();
});
afterAll(async () => {
  await emu.close();
});

describe("limiter against the emulator's 25/25 limits", () => {
  it("without the limiter, the same burst does get 429s (the emulator enforces its limits)", async () => {
    const control = await startEmulator({ port: 0, quiet: true });
    try {
      const client = emulatorClient(control, { rateLimit: false, maxRetries: 0 });
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) => client.invoke(triage.id, { kind: "text", text: `control ${i}` }, { capture: false })),
      );
      const throttled = results.filter((r) => r.status === "rejected" && isNyckelError(r.reason, "rate_limited"));
      expect(throttled.length).toBeGreaterThan(20);
    } finally {
      await control.close();
    }
  });

  it("a burst of 200 invokes finishes with zero 429s", { timeout: 30_000 }, async () => {
    const { fetch, statuses } = countingFetch();
    // The default client configuration (shared limiter 25/s, 25 in flight), with short backoffs.
    const client = emulatorClient(emu, { rateLimit: undefined, fetch, retryBaseDelayMs: 10, retryMaxDelayMs: 50 });
    const t0 = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => client.invoke(triage.id, { kind: "text", text: `ticket ${i}: my invoice` }, { capture: false })),
    );
    const elapsed = performance.now() - t0;

    const failures = results.filter((r) => r.status === "rejected");
    expect(failures).toEqual([]);
    expect(statuses.filter((s) => s === 429)).toHaveLength(0); // not even retried-away ones
    const counters = emu.state.counters();
    expect(counters.byStatus["429"] ?? 0).toBe(0);
    expect(counters.byStatus["200"]).toBe(201); // 200 invokes + 1 token
    expect(counters.maxStartsInWindow).toBeLessThanOrEqual(25);
    expect(counters.maxInFlight).toBeLessThanOrEqual(25);
    // 201 requests at 25 per second cannot take less than 7 s (8 windows)…
    expect(elapsed).toBeGreaterThanOrEqual(7000);
    // …and the limiter should not waste much of the budget.
    expect(elapsed).toBeLessThan(12_000);
  });
});
