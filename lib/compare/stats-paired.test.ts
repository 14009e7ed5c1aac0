import { describe, expect, it } from "vitest";
import { accuracyReport, type AccuracyRow } from "./accuracy";
import { pairedDifference } from "./stats-paired";

describe("pairedDifference (Newcombe's paired interval for accuracy B − A)", () => {
  it("matches the published example", () => {
    // Complete response before and after consolidation therapy (Cavo et al. 2012), table [[59, 6], [16, 80]]:
    // Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8, Newcombe
    // square-and-add: estimate −0.0621 (95% CI −0.1186 to −0.0046), as also checked by the R package
    // contingencytables (tests/testthat/test-ch8.R). Rows = the first measurement (here B), columns = the second (A).
    const d = pairedDifference({ bothRight: 59, onlyB: 6, onlyA: 16, bothWrong: 80 });
    expect(d.n).toBe(161);
    expect(d.difference).toBeCloseTo(-0.0621, 4);
    expect(d.ci.low).toBeCloseTo(-0.1186, 4);
    expect(d.ci.high).toBeCloseTo(-0.0046, 4);
    expect(d.method).toBe("newcombe-paired-wilson");
  });

  it("is antisymmetric: swapping the models negates the difference and mirrors the interval", () => {
    const t = { bothRight: 120, onlyA: 9, onlyB: 21, bothWrong: 50 };
    const d = pairedDifference(t);
    const swapped = pairedDifference({ ...t, onlyA: t.onlyB, onlyB: t.onlyA });
    expect(swapped.difference).toBeCloseTo(-d.difference, 12);
    expect(swapped.ci.low).toBeCloseTo(-d.ci.high, 12);
    expect(swapped.ci.high).toBeCloseTo(-d.ci.low, 12);
    expect(d.ci.low).toBeLessThan(d.difference);
    expect(d.ci.high).toBeGreaterThan(d.difference);
  });

  it("narrows with more samples and stays within [−1, 1] at the extremes", () => {
    const small = pairedDifference({ bothRight: 8, onlyA: 1, onlyB: 3, bothWrong: 2 });
    const large = pairedDifference({ bothRight: 800, onlyA: 100, onlyB: 300, bothWrong: 200 });
    expect(large.ci.high - large.ci.low).toBeLessThan(small.ci.high - small.ci.low);
    const allB = pairedDifference({ bothRight: 0, onlyA: 0, onlyB: 10, bothWrong: 0 });
    expect(allB.difference).toBe(1);
    expect(allB.ci.high).toBeLessThanOrEqual(1);
    expect(allB.ci.low).toBeGreaterThan(0);
    // Identical models: difference 0, an interval around it.
    const same = pairedDifference({ bothRight: 70, onlyA: 0, onlyB: 0, bothWrong: 30 });
    expect(same.difference).toBe(0);
    expect(same.ci.low).toBeLessThan(0);
    expect(same.ci.high).toBeGreaterThan(0);
  });

  it("has no estimate without rows and refuses invalid counts", () => {
    expect(pairedDifference({ bothRight: 0, onlyA: 0, onlyB: 0, bothWrong: 0 })).toMatchObject({ n: 0, difference: Number.NaN, ci: { low: -1, high: 1 } });
    expect(() => pairedDifference({ bothRight: -1, onlyA: 0, onlyB: 0, bothWrong: 0 })).toThrow(RangeError);
    expect(() => pairedDifference({ bothRight: 1.5, onlyA: 0, onlyB: 0, bothWrong: 0 })).toThrow(RangeError);
  });
});

describe("accuracyReport: intervals of per-label precision and recall, and the paired difference", () => {
  const rows = (n: number, truth: string, a: string | null, b: string | null): AccuracyRow[] => Array.from({ length: n }, () => ({ truth, a, b }));

  it("gives Wilson intervals matching Newcombe's published values", () => {
    // Reference values: Newcombe (1998), "Two-sided confidence intervals for the single proportion",
    // Statistics in Medicine 17:857–872, Table I, method 3 (score interval without continuity correction):
    // 81/263 → 0.2553–0.3662 and 15/148 → 0.0624–0.1605.
    // Model A predicts "x" 263 times, 81 of them right: precision 81/263.
    const r = accuracyReport([...rows(81, "x", "x", "x"), ...rows(182, "y", "x", "y"), ...rows(67, "x", "y", "y")]);
    const x = r.a.perLabel.find((l) => l.label === "x")!;
    expect(x).toMatchObject({ predicted: 263, truePositives: 81, support: 148 });
    expect(x.precision).toBeCloseTo(81 / 263, 12);
    expect(x.precisionCi.low).toBeCloseTo(0.2553, 4);
    expect(x.precisionCi.high).toBeCloseTo(0.3662, 4);
    // Model A finds 15 of the 148 samples whose truth is "x": recall 15/148.
    const found = accuracyReport([...rows(15, "x", "x", "x"), ...rows(133, "x", "z", "z")]).a.perLabel.find((l) => l.label === "x")!;
    expect(found).toMatchObject({ support: 148, truePositives: 15 });
    expect(found.recallCi.low).toBeCloseTo(0.0624, 4);
    expect(found.recallCi.high).toBeCloseTo(0.1605, 4);
  });

  it("leaves the interval of a label never predicted or never true at [0, 1], with the figure undefined", () => {
    const r = accuracyReport([...rows(3, "x", "x", "z"), ...rows(2, "y", "x", "y")]);
    const aY = r.a.perLabel.find((l) => l.label === "y")!;
    expect(aY.predicted).toBe(0);
    expect(aY.precision).toBeNaN();
    expect(aY.precisionCi).toEqual({ low: 0, high: 1 });
    const bZ = r.b.perLabel.find((l) => l.label === "z")!;
    expect(bZ.support).toBe(0);
    expect(bZ.recall).toBeNaN();
    expect(bZ.recallCi).toEqual({ low: 0, high: 1 });
  });

  it("reports accuracy B − A over the rows with ground truth, from the same table as McNemar", () => {
    const data = [...rows(59, "x", "x", "x"), ...rows(6, "x", "y", "x"), ...rows(16, "x", "x", "y"), ...rows(80, "x", "y", "y"), ...rows(5, "", "x", "y")];
    const r = accuracyReport(data);
    expect(r.n).toBe(161);
    expect(r.mcnemar).toMatchObject({ b: 16, c: 6 });
    expect(r.difference.difference).toBeCloseTo(r.b.accuracy - r.a.accuracy, 12);
    expect(r.difference.ci.low).toBeCloseTo(-0.1186, 4);
    expect(r.difference.ci.high).toBeCloseTo(-0.0046, 4);
  });
});
