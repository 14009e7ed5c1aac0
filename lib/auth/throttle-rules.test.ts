import { describe, expect, it } from "vitest";
import { accountDelayMs, decideThrottle, formatWait, refusalMessage, type ThrottleCounter } from "./throttle-rules";

const counter = (c: Partial<ThrottleCounter> & Pick<ThrottleCounter, "scope">): ThrottleCounter => ({ failures: 0, inWindow: true, blockedMs: null, ...c });

describe("sign-in throttle rules", () => {
  it("allows an attempt with no counters, without delay", () => {
    expect(decideThrottle([], false)).toEqual({ kind: "allowed", delayMs: 0 });
  });

  it("refuses a paused pair or address, for the time left, even from a known browser", () => {
    expect(decideThrottle([counter({ scope: "pair", failures: 10, blockedMs: 840_000 })], true)).toEqual({ kind: "refused", scope: "pair", retryAfterMs: 840_000 });
    expect(decideThrottle([counter({ scope: "address", failures: 50, blockedMs: 5_000 })], true)).toEqual({ kind: "refused", scope: "address", retryAfterMs: 5_000 });
  });

  it("counts below a limit do not pause anything", () => {
    expect(decideThrottle([counter({ scope: "pair", failures: 9 }), counter({ scope: "address", failures: 49 }), counter({ scope: "account", failures: 99 })], false)).toEqual({
      kind: "allowed",
      delayMs: 0,
    });
  });

  it("the per-account rule only delays: 1 s at 100 failures, doubling to at most 30 s; none for a known browser or a closed window", () => {
    expect([99, 100, 101, 102, 103, 104, 105, 500].map(accountDelayMs)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    const flooded = [counter({ scope: "account", failures: 103 })];
    expect(decideThrottle(flooded, false)).toEqual({ kind: "allowed", delayMs: 8_000 });
    expect(decideThrottle(flooded, true)).toEqual({ kind: "allowed", delayMs: 0 });
    expect(decideThrottle([counter({ scope: "account", failures: 103, inWindow: false })], false)).toEqual({ kind: "allowed", delayMs: 0 });
  });

  it("says how long, rounded up", () => {
    expect(formatWait(900_000)).toBe("15 minutes");
    expect(formatWait(60_001)).toBe("2 minutes");
    expect(formatWait(60_000)).toBe("1 minute");
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(45_000)).toBe("45 seconds");
    expect(refusalMessage("pair", 899_000)).toBe("Too many failed sign-ins for this account from your network. Sign-in is paused: try again in 15 minutes.");
    expect(refusalMessage("address", 30_000)).toBe("Too many failed sign-ins from your network. Sign-in is paused: try again in 30 seconds.");
  });
});
