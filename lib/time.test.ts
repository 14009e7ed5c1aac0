import { describe, expect, it } from "vitest";
import { parsePointInTime } from "./time";

describe("parsePointInTime", () => {
  it("reads ISO times with a zone, and zone-less forms as UTC", () => {
    expect(parsePointInTime("2026-03-01T10:20:30.456Z")?.toISOString()).toBe("2026-03-01T10:20:30.456Z");
    expect(parsePointInTime("2026-03-01T10:20:30+02:00")?.toISOString()).toBe("2026-03-01T08:20:30.000Z");
    expect(parsePointInTime("2026-03-01T10:20-0130")?.toISOString()).toBe("2026-03-01T11:50:00.000Z");
    expect(parsePointInTime("2026-03-01T10:20")?.toISOString()).toBe("2026-03-01T10:20:00.000Z");
    expect(parsePointInTime(" 2026-03-01 10:20 ")?.toISOString()).toBe("2026-03-01T10:20:00.000Z");
    expect(parsePointInTime("2026-03-01")?.toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(parsePointInTime("2024-02-29T00:00Z")?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
  });

  it("refuses what is not a time", () => {
    for (const bad of ["", "yesterday", "2026-02-30", "2026-13-01", "2026-01-01T24:00", "2026-01-01T10:60", "1999-01-01", "2026-01-01T10:00+25:00", "1714000000"]) {
      expect(parsePointInTime(bad), bad).toBeNull();
    }
  });
});
