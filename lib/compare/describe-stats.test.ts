import { describe, expect, it } from "vitest";
import { describeAccuracyDifference, percentWithCi } from "./describe-stats";

describe("wording of the report's statistics", () => {
  const names = { a: "A", b: "B" };

  it("states the difference in points with its interval and what the interval says", () => {
    expect(describeAccuracyDifference({ difference: 0.0621, low: 0.0046, high: 0.1186 }, names)).toBe("Accuracy B − A: +6.2 points (95% CI +0.5 to +11.9); B is more accurate.");
    expect(describeAccuracyDifference({ difference: -0.0621, low: -0.1186, high: -0.0046 }, names)).toBe("Accuracy B − A: −6.2 points (95% CI −11.9 to −0.5); B is less accurate.");
    expect(describeAccuracyDifference({ difference: 0, low: -0.021, high: 0.03 }, { a: "current pin", b: "requested" })).toBe(
      "Accuracy requested − current pin: ±0.0 points (95% CI −2.1 to +3.0); the interval includes 0: no clear difference.",
    );
    expect(describeAccuracyDifference({ difference: null, low: -1, high: 1 }, names)).toBe("Accuracy B − A: — (no samples with ground truth).");
    expect(describeAccuracyDifference({ difference: Number.NaN, low: -1, high: 1 }, names)).toContain("—");
  });

  it("prints a rate with its interval, or — when it is undefined", () => {
    expect(percentWithCi(81 / 263, 0.2553, 0.3662)).toBe("30.8% (25.5–36.6%)");
    expect(percentWithCi(Number.NaN, 0, 1)).toBe("—");
    expect(percentWithCi(null, 0, 1)).toBe("—");
  });
});
