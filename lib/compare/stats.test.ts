import { describe, expect, it } from "vitest";
import { accuracyReport } from "./accuracy";
import { describeMcnemar, formatPValue, logBinomialHalfCdf, mcnemarExact } from "./mcnemar";
import {
  Z_95,
  agreement,
  histogram,
  latencySummary,
  percentile,
  perLabelFlipRates,
  transitionCount,
  transitionMatrix,
  wilsonInterval,
  type LabelPair,
} from "./stats";

// z = 1.959963984540054, z² = 3.841458820694125 throughout.

describe("wilsonInterval", () => {
  it("0 of 10: [0, z²/(n + z²)]", () => {
    // p̂ = 0: center = (z²/20)/(1 + z²/10) = 0.192073/1.384146 = 0.138766,
    // half = (z/1.384146)·√(z²/400) = z²/(20·1.384146) = 0.138766 = center,
    // so low = 0 and high = 2·center = z²/(10 + z²) = 3.841459/13.841459 = 0.277533.
    const w = wilsonInterval(0, 10);
    expect(w.p).toBe(0);
    expect(w.low).toBe(0);
    expect(w.high).toBeCloseTo(0.277533, 6);
  });

  it("5 of 10: symmetric around 0.5", () => {
    // p̂ = 0.5: center = (0.5 + 0.192073)/1.384146 = 0.5,
    // half = (1.959964/1.384146)·√(0.25/10 + 3.841459/400) = 1.416009·√0.034604 = 1.416009·0.186020 = 0.263407,
    // so [0.236593, 0.763407].
    const w = wilsonInterval(5, 10);
    expect(w.p).toBe(0.5);
    expect(w.low).toBeCloseTo(0.236593, 6);
    expect(w.high).toBeCloseTo(0.763407, 6);
  });

  it("10 of 10: [n/(n + z²), 1], with the upper bound exactly 1", () => {
    // Mirror of 0 of 10: low = 1 − 0.277533 = 10/13.841459 = 0.722467. Computed naively the
    // upper bound is 0.9999999999999999; the function returns exactly 1.
    const w = wilsonInterval(10, 10);
    expect(w.p).toBe(1);
    expect(w.low).toBeCloseTo(0.722467, 6);
    expect(w.high).toBe(1);
  });

  it("81 of 100", () => {
    // p̂ = 0.81, z²/n = 0.0384146, denominator 1.0384146.
    // center = (0.81 + 0.0192073)/1.0384146 = 0.8292073/1.0384146 = 0.798532
    // half = (1.959964/1.0384146)·√(0.81·0.19/100 + 3.841459/40000)
    //      = 1.887458·√(0.001539 + 0.0000960) = 1.887458·0.0404356 = 0.076320
    // → [0.722212, 0.874852].
    const w = wilsonInterval(81, 100);
    expect(w.p).toBe(0.81);
    expect(w.low).toBeCloseTo(0.722212, 5);
    expect(w.high).toBeCloseTo(0.874852, 5);
  });

  it("n = 0 is 'anything is possible', and bad arguments throw", () => {
    const w = wilsonInterval(0, 0);
    expect(w).toEqual({ low: 0, high: 1, p: Number.NaN });
    expect(() => wilsonInterval(11, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 10)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 10, 0)).toThrow(RangeError);
  });

  it("a wider z gives a wider interval", () => {
    const w95 = wilsonInterval(30, 60);
    const w99 = wilsonInterval(30, 60, 2.5758293035489);
    expect(w99.low).toBeLessThan(w95.low);
    expect(w99.high).toBeGreaterThan(w95.high);
    expect(Z_95).toBe(1.959963984540054);
  });
});

/** Exact reference: 2·Σ_{i≤k} C(n, i) / 2^n with BigInt, then rounded once to a double. */
function exactMcnemarP(b: number, c: number): number {
  const n = b + c;
  const k = Math.min(b, c);
  let coef = 1n;
  let sum = 0n;
  for (let i = 0; i <= k; i++) {
    sum += coef;
    coef = (coef * BigInt(n - i)) / BigInt(i + 1);
  }
  // 2·sum / 2^n = sum / 2^(n−1). Keep the top 64 bits of sum so the conversion is exact
  // to double precision and nothing overflows.
  const bits = sum.toString(2).length;
  const shift = Math.max(0, bits - 64);
  const value = Number(sum >> BigInt(shift)) * 2 ** (shift - (n - 1));
  return Math.min(1, value);
}

describe("mcnemarExact", () => {
  it("all agree (b = c = 0): p = 1", () => {
    expect(mcnemarExact(0, 0)).toEqual({ b: 0, c: 0, n: 0, p: 1 });
  });

  it("one discordant sample: p = 1 either way", () => {
    // n = 1, min = 0: P(X ≤ 0) = 1/2, 2·1/2 = 1.
    expect(mcnemarExact(1, 0).p).toBe(1);
    expect(mcnemarExact(0, 1).p).toBe(1);
  });

  it("b = 0, c = 5: 2·(1/32) = 0.0625", () => {
    // P(X ≤ 0) for Bin(5, ½) = 1/2^5 = 1/32.
    expect(mcnemarExact(0, 5).p).toBeCloseTo(0.0625, 14);
  });

  it("b = 2, c = 8: 2·(1 + 10 + 45)/1024 = 0.109375", () => {
    // C(10,0) + C(10,1) + C(10,2) = 1 + 10 + 45 = 56; 2·56/1024 = 112/1024.
    expect(mcnemarExact(2, 8).p).toBeCloseTo(0.109375, 14);
    expect(mcnemarExact(8, 2).p).toBeCloseTo(0.109375, 14);
  });

  it("b = 3, c = 7: 2·(1 + 10 + 45 + 120)/1024 = 0.34375; b = c caps at 1", () => {
    expect(mcnemarExact(3, 7).p).toBeCloseTo(352 / 1024, 14);
    // b = c = 5: P(X ≤ 5) = 638/1024 > ½, 2·638/1024 > 1 → 1.
    expect(mcnemarExact(5, 5).p).toBe(1);
  });

  it("agrees with an exact BigInt reference up to b + c = 20,000", () => {
    for (const [b, c] of [
      [25, 42],
      [480, 520],
      [1000, 1200],
      [9900, 10100],
      [9700, 10300],
      [10000, 10000],
    ] as const) {
      const p = mcnemarExact(b, c).p;
      const reference = exactMcnemarP(b, c);
      expect(Math.abs(p - reference) / reference, `b=${b}, c=${c}`).toBeLessThan(1e-10);
    }
    // Sanity check of the reference itself with the normal approximation for 9900 vs 10100:
    // mean 10000, sd √(20000/4) = 70.71, z = (9900.5 − 10000)/70.71 = −1.407, 2Φ(−1.407) ≈ 0.159.
    expect(exactMcnemarP(9900, 10100)).toBeCloseTo(0.159, 2);
  });

  it("is finite and fast for the most lopsided 20,000-sample table (p underflows to 0)", () => {
    const t0 = performance.now();
    // 2·2^-20000 is below the smallest double.
    expect(mcnemarExact(0, 20000).p).toBe(0);
    // 2·(1 + 20000)/2^20000, still 0 as a double, but the log is exact:
    // ln(2·20001) − 20000·ln 2.
    expect(logBinomialHalfCdf(1, 20000)).toBeCloseTo(Math.log(20001) - 20000 * Math.LN2, 6);
    expect(mcnemarExact(10000, 10000).p).toBe(1);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("rejects negative or fractional counts", () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError);
    expect(() => mcnemarExact(1.5, 2)).toThrow(RangeError);
  });
});

describe("describeMcnemar and formatPValue", () => {
  it("formats p-values with two significant digits, and tiny ones as < 0.001", () => {
    expect(formatPValue(0.0625)).toBe("p = 0.063");
    expect(formatPValue(0.109375)).toBe("p = 0.11");
    expect(formatPValue(0.003)).toBe("p = 0.003");
    expect(formatPValue(1)).toBe("p = 1");
    expect(formatPValue(0.0009)).toBe("p < 0.001");
    expect(formatPValue(Number.NaN)).toBe("p = n/a");
  });

  it("says there is nothing to test when the models are never discordant", () => {
    expect(describeMcnemar(mcnemarExact(0, 0))).toBe(
      "The models were right and wrong on exactly the same samples, so there is no evidence that their error rates differ (p = 1).",
    );
  });

  it("says 'no evidence' when p ≥ 0.05", () => {
    expect(describeMcnemar(mcnemarExact(2, 8))).toBe(
      "No evidence that the models' error rates differ: Model A alone was right on 2 samples, Model B alone on 8 (p = 0.11).",
    );
    expect(describeMcnemar(mcnemarExact(1, 0))).toBe(
      "No evidence that the models' error rates differ: Model A alone was right on 1 sample, Model B alone on 0 (p = 1).",
    );
  });

  it("names the better model when p < 0.05", () => {
    // b = 0, c = 10: 2/1024 = 0.00195 → "0.002".
    expect(describeMcnemar(mcnemarExact(0, 10))).toBe(
      "Model B makes fewer errors: it alone was right on 10 samples, Model A alone on 0; a difference this large would happen by chance with p = 0.002.",
    );
    expect(describeMcnemar(mcnemarExact(20, 0), { nameA: "v7", nameB: "v8" })).toBe(
      "v7 makes fewer errors: it alone was right on 20 samples, v8 alone on 0; a difference this large would happen by chance with p < 0.001.",
    );
  });

  it("never prints a significant p as 0.05", () => {
    // 25 vs 42 gives p = 0.0498, which two digits would round to 0.05.
    const result = mcnemarExact(25, 42);
    expect(result.p).toBeCloseTo(0.0498, 4);
    expect(describeMcnemar(result)).toContain("Model B makes fewer errors");
    expect(describeMcnemar(result)).toContain("p = 0.0498");
  });
});

// A small A × B example used by several tests:
//   (cat, cat) ×3, (cat, dog) ×1, (dog, dog) ×2, (dog, null) ×1, (null, cat) ×1,
//   (bird, bird) ×1, (ant, ant) ×1  → 10 pairs.
// Occurrences in A and B together: cat 4 + 4 = 8, dog 3 + 3 = 6, ant 2, bird 2, null 2.
function examplePairs(): LabelPair[] {
  const pairs: LabelPair[] = [];
  const add = (a: string | null, b: string | null, times = 1) => {
    for (let i = 0; i < times; i++) pairs.push({ a, b });
  };
  add("cat", "cat", 3);
  add("bird", "bird");
  add("cat", "dog");
  add("dog", "dog", 2);
  add("dog", null);
  add(null, "cat");
  add("ant", "ant");
  return pairs;
}

describe("transitionMatrix", () => {
  it("counts A × B transitions in a stable label order", () => {
    const m = transitionMatrix(examplePairs());
    // cat (8), dog (6), then the tie at 2 by name: ant before bird; null always last.
    expect(m.labels).toEqual(["cat", "dog", "ant", "bird", null]);
    expect(m.counts).toEqual([
      // B: cat dog ant bird null
      [3, 1, 0, 0, 0], // A = cat
      [0, 2, 0, 0, 1], // A = dog
      [0, 0, 1, 0, 0], // A = ant
      [0, 0, 0, 1, 0], // A = bird
      [1, 0, 0, 0, 0], // A = null
    ]);
    expect(m.aTotals).toEqual([4, 3, 1, 1, 1]);
    expect(m.bTotals).toEqual([4, 3, 1, 1, 1]);
    expect(m.total).toBe(10);
    expect(transitionCount(m, "cat", "dog")).toBe(1);
    expect(transitionCount(m, "dog", null)).toBe(1);
    expect(transitionCount(m, null, "cat")).toBe(1);
    expect(transitionCount(m, "cat", "zebra")).toBe(0);
  });

  it("does not depend on the order of the pairs", () => {
    const pairs = examplePairs();
    expect(transitionMatrix([...pairs].reverse())).toEqual(transitionMatrix(pairs));
  });

  it("is empty for no pairs", () => {
    expect(transitionMatrix([])).toEqual({ labels: [], counts: [], aTotals: [], bTotals: [], total: 0 });
  });
});

describe("agreement and flip rates", () => {
  it("agreement is the diagonal share, with a Wilson interval", () => {
    // Diagonal: cat-cat 3 + dog-dog 2 + ant-ant 1 + bird-bird 1 = 7 of 10.
    // Wilson(7, 10): center = (0.7 + 0.192073)/1.384146 = 0.644493,
    // half = 1.416009·√(0.021 + 0.0096036) = 1.416009·0.174939 = 0.247715 → [0.396778, 0.892209].
    const a = agreement(examplePairs());
    expect(a.n).toBe(10);
    expect(a.agree).toBe(7);
    expect(a.rate).toBe(0.7);
    expect(a.ci.low).toBeCloseTo(0.396778, 5);
    expect(a.ci.high).toBeCloseTo(0.892209, 5);
  });

  it("two nulls agree; no pairs → NaN rate and [0, 1]", () => {
    expect(agreement([{ a: null, b: null }]).agree).toBe(1);
    expect(agreement([{ a: "x", b: null }]).agree).toBe(0);
    const empty = agreement([]);
    expect(empty.n).toBe(0);
    expect(empty.rate).toBeNaN();
    expect(empty.ci).toEqual({ low: 0, high: 1 });
  });

  it("per-label flip rates, ordered by how often A said the label", () => {
    const rates = perLabelFlipRates(examplePairs());
    expect(rates.map(({ label, n, flipped }) => ({ label, n, flipped }))).toEqual([
      { label: "cat", n: 4, flipped: 1 }, // cat → dog once
      { label: "dog", n: 3, flipped: 1 }, // dog → null once
      { label: "ant", n: 1, flipped: 0 },
      { label: "bird", n: 1, flipped: 0 },
      { label: null, n: 1, flipped: 1 }, // null → cat
    ]);
    expect(rates[0]?.rate).toBe(0.25);
    expect(rates[1]?.rate).toBeCloseTo(1 / 3, 12);
    // Wilson(0, 1) upper bound = z²/(1 + z²) = 3.841459/4.841459 = 0.793451.
    expect(rates[2]?.ci.low).toBe(0);
    expect(rates[2]?.ci.high).toBeCloseTo(0.793451, 5);
    expect(perLabelFlipRates([])).toEqual([]);
  });
});

describe("percentile and latencySummary", () => {
  it("interpolates linearly between closest ranks (numpy's default)", () => {
    const v = [4, 1, 3, 2];
    // sorted [1, 2, 3, 4], rank r = p/100·3.
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 25)).toBe(1.75); // r = 0.75: 1 + 0.75·(2 − 1)
    expect(percentile(v, 50)).toBe(2.5); // r = 1.5: 2 + 0.5·(3 − 2)
    expect(percentile(v, 95)).toBeCloseTo(3.85, 12); // r = 2.85: 3 + 0.85·(4 − 3)
    expect(percentile(v, 100)).toBe(4);
    expect(v).toEqual([4, 1, 3, 2]); // not sorted in place
    // [10, 20, 30, 40, 50], p95: r = 0.95·4 = 3.8 → 40 + 0.8·10 = 48.
    expect(percentile([50, 40, 30, 20, 10], 95)).toBeCloseTo(48, 12);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([5, 5, 5], 50)).toBe(5);
  });

  it("is NaN for no values and rejects bad input", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
    expect(() => percentile([1, Number.NaN], 50)).toThrow(RangeError);
  });

  it("summarises latencies", () => {
    // sorted [100, 120, 130, 150, 500]; p50: r = 2 → 130; p95: r = 3.8 → 150 + 0.8·350 = 430;
    // mean = 1000/5 = 200.
    const s = latencySummary([500, 100, 150, 120, 130]);
    expect(s).toMatchObject({ n: 5, p50: 130, mean: 200, min: 100, max: 500 });
    expect(s.p95).toBeCloseTo(430, 9);
    const empty = latencySummary([]);
    expect(empty.n).toBe(0);
    expect(empty.p50).toBeNaN();
    expect(empty.p95).toBeNaN();
    expect(empty.mean).toBeNaN();
  });
});

describe("histogram", () => {
  it("bins are half-open except the last, which includes max", () => {
    // [0, 1] in 4 bins of 0.25: [0, .25) [.25, .5) [.5, .75) [.75, 1].
    const h = histogram([0, 0.25, 0.5, 0.74, 0.75, 1, -0.1, 1.1], { min: 0, max: 1, bins: 4 });
    expect(h.bins).toEqual([
      { start: 0, end: 0.25, count: 1 }, // 0
      { start: 0.25, end: 0.5, count: 1 }, // 0.25
      { start: 0.5, end: 0.75, count: 2 }, // 0.5, 0.74
      { start: 0.75, end: 1, count: 2 }, // 0.75, 1
    ]);
    expect(h.below).toBe(1);
    expect(h.above).toBe(1);
    expect(h.total).toBe(8);
  });

  it("defaults to 20 bins over [-1, 1] for confidence deltas", () => {
    const h = histogram([-1, -0.95, 0, 0.05, 1]);
    expect(h.bins).toHaveLength(20);
    expect(h.bins[0]).toMatchObject({ start: -1, count: 2 });
    expect(h.bins[10]).toMatchObject({ start: 0, count: 2 }); // -1 + 10·0.1 = 0 exactly
    expect(h.bins[19]).toMatchObject({ end: 1, count: 1 });
    expect(h.bins.reduce((s, b) => s + b.count, 0)).toBe(5);
  });

  it("accepts a bin width, tolerating float noise, with a narrower last bin", () => {
    expect(histogram([], { binWidth: 0.1 }).bins).toHaveLength(20); // 2/0.1 is not exactly 20 in floats
    expect(histogram([], { binWidth: 0.5 }).bins.map((b) => [b.start, b.end])).toEqual([
      [-1, -0.5],
      [-0.5, 0],
      [0, 0.5],
      [0.5, 1],
    ]);
    const h = histogram([0.95, 1], { min: 0, max: 1, binWidth: 0.3 }); // ⌈1/0.3⌉ = 4 bins, last [0.9, 1]
    expect(h.bins).toHaveLength(4);
    expect(h.bins[3]?.start).toBeCloseTo(0.9, 12);
    expect(h.bins[3]).toMatchObject({ end: 1, count: 2 });
  });

  it("puts every value in the bin whose printed range contains it", () => {
    // Deltas of real confidences, e.g. 0.9 − 0.6 = 0.30000000000000004, land near edges.
    const values: number[] = [];
    for (let i = 0; i <= 100; i++) for (let j = 0; j <= 100; j += 7) values.push(i / 100 - j / 100);
    const h = histogram(values);
    let counted = 0;
    h.bins.forEach((bin, i) => {
      const last = i === h.bins.length - 1;
      const inBin = values.filter((v) => v >= bin.start && (last ? v <= bin.end : v < bin.end)).length;
      expect(bin.count, `bin ${i}`).toBe(inBin);
      counted += bin.count;
    });
    expect(counted + h.below + h.above).toBe(values.length);
  });

  it("rejects NaN and contradictory options", () => {
    expect(() => histogram([Number.NaN])).toThrow(RangeError);
    expect(() => histogram([], { bins: 4, binWidth: 0.5 })).toThrow(RangeError);
    expect(() => histogram([], { min: 1, max: 1 })).toThrow(RangeError);
    expect(() => histogram([], { bins: 0 })).toThrow(RangeError);
  });
});

describe("accuracyReport", () => {
  // truth, A, B                       A right? B right?
  const rows = [
    { truth: "cat", a: "cat", b: "cat" }, // ✓ ✓
    { truth: "cat", a: "cat", b: "dog" }, // ✓ ✗
    { truth: "cat", a: "dog", b: "cat" }, // ✗ ✓
    { truth: "dog", a: "dog", b: "dog" }, // ✓ ✓
    { truth: "dog", a: "cat", b: "dog" }, // ✗ ✓
    { truth: "dog", a: null, b: "dog" }, // ✗ ✓   (A errored)
    { truth: "bird", a: "fox", b: "dog" }, // ✗ ✗
    { truth: null, a: "cat", b: "cat" }, // no ground truth: left out
    { truth: "cat", a: "cat", b: "cat" }, // ✓ ✓
  ];

  it("computes accuracy with Wilson intervals and McNemar on the discordant rows", () => {
    const r = accuracyReport(rows);
    expect(r.n).toBe(8);
    expect(r.withoutTruth).toBe(1);
    // A right on rows 1, 2, 4, 9 = 4/8; B right on rows 1, 3, 4, 5, 6, 9 = 6/8.
    expect(r.a).toMatchObject({ correct: 4, n: 8, accuracy: 0.5 });
    expect(r.b).toMatchObject({ correct: 6, n: 8, accuracy: 0.75 });
    // Wilson(4, 8): center 0.5, half = (z/1.480183)·√(0.25/8 + z²/256) = 1.324135·√0.046256 = 0.284784.
    expect(r.a.ci.low).toBeCloseTo(0.215216, 5);
    expect(r.a.ci.high).toBeCloseTo(0.784784, 5);
    // both right 3 (rows 1, 4, 9), only A 1 (row 2), only B 3 (rows 3, 5, 6), both wrong 1 (row 7).
    expect(r.bothRight).toBe(3);
    expect(r.bothWrong).toBe(1);
    // McNemar b = 1, c = 3: 2·P(X ≤ 1 | n = 4) = 2·(1 + 4)/16 = 0.625.
    expect(r.mcnemar).toEqual({ b: 1, c: 3, n: 4, p: 0.625 });
  });

  it("computes per-label precision, recall and F1 for each model", () => {
    const r = accuracyReport(rows);
    // support: cat 4, dog 3, bird 1; fox only predicted (support 0) comes last.
    expect(r.labels).toEqual(["cat", "dog", "bird", "fox"]);
    const a = Object.fromEntries(r.a.perLabel.map((m) => [m.label, m]));
    // A predicted cat on rows 1, 2, 5, 9 (4), right on 1, 2, 9: P = 3/4, R = 3/4, F1 = 0.75.
    expect(a.cat).toMatchObject({ support: 4, predicted: 4, truePositives: 3, precision: 0.75, recall: 0.75, f1: 0.75 });
    // A predicted dog on rows 3, 4, right on 4: P = 1/2, R = 1/3, F1 = 2·(1/6)/(5/6) = 0.4.
    expect(a.dog).toMatchObject({ support: 3, predicted: 2, truePositives: 1, precision: 0.5 });
    expect(a.dog?.recall).toBeCloseTo(1 / 3, 12);
    expect(a.dog?.f1).toBeCloseTo(0.4, 12);
    // bird: never predicted → precision undefined; recall 0/1.
    expect(a.bird?.precision).toBeNaN();
    expect(a.bird?.recall).toBe(0);
    expect(a.bird?.f1).toBeNaN();
    // fox: predicted once, wrongly; not in the truth → recall undefined.
    expect(a.fox).toMatchObject({ support: 0, predicted: 1, truePositives: 0, precision: 0 });
    expect(a.fox?.recall).toBeNaN();

    const b = Object.fromEntries(r.b.perLabel.map((m) => [m.label, m]));
    // B predicted cat on rows 1, 3, 9 (all right): P = 1, R = 3/4, F1 = 1.5/1.75 = 0.857143.
    expect(b.cat).toMatchObject({ predicted: 3, truePositives: 3, precision: 1, recall: 0.75 });
    expect(b.cat?.f1).toBeCloseTo(0.857143, 6);
    // B predicted dog on rows 2, 4, 5, 6, 7 (5), right on 4, 5, 6: P = 3/5, R = 1, F1 = 1.2/1.6 = 0.75.
    expect(b.dog).toMatchObject({ predicted: 5, truePositives: 3, precision: 0.6, recall: 1 });
    expect(b.dog?.f1).toBeCloseTo(0.75, 12);
  });

  it("F1 is 0 (not NaN) when precision and recall are both 0", () => {
    const r = accuracyReport([
      { truth: "x", a: "y", b: "x" },
      { truth: "y", a: "x", b: "y" },
    ]);
    expect(r.a.perLabel.map((m) => [m.label, m.precision, m.recall, m.f1])).toEqual([
      ["x", 0, 0, 0],
      ["y", 0, 0, 0],
    ]);
    expect(r.mcnemar).toEqual({ b: 0, c: 2, n: 2, p: 0.5 }); // 2·(1/4)
  });

  it("handles no rows, and rows without any truth", () => {
    const empty = accuracyReport([]);
    expect(empty.n).toBe(0);
    expect(empty.a.accuracy).toBeNaN();
    expect(empty.mcnemar.p).toBe(1);
    const noTruth = accuracyReport([{ truth: "", a: "x", b: "y" }, { truth: undefined, a: "x", b: "x" }]);
    expect(noTruth.n).toBe(0);
    expect(noTruth.withoutTruth).toBe(2);
    expect(noTruth.labels).toEqual([]);
  });
});
