import { describe, expect, it } from "vitest";
import { buildReport, type RunRow } from "./report";

const ok = (label: string, confidence: number, latencyMs: number) => ({ ok: true, label, confidence, latencyMs });
const failed = { ok: false, label: null, confidence: null, latencyMs: null };

describe("comparison report", () => {
  const rows: RunRow[] = [
    { position: 1, truth: "cat", a: ok("cat", 0.9, 100), b: ok("cat", 0.8, 120) },
    { position: 2, truth: "dog", a: ok("cat", 0.6, 110), b: ok("dog", 0.7, 130) },
    { position: 3, truth: "dog", a: ok("dog", 0.5, 90), b: ok("dog", 0.9, 140) },
    { position: 4, truth: null, a: failed, b: ok("cat", 0.4, 150) },
    { position: 5, truth: "cat", a: null, b: null },
  ];
  const r = buildReport(rows);

  it("counts agreement only over samples both models answered", () => {
    expect(r.answered).toBe(3);
    expect(r.agreement).toMatchObject({ n: 3, agree: 2 });
    expect(r.errors).toEqual({ a: 1, b: 0 });
  });

  it("builds the transition matrix and the flip rates", () => {
    const i = r.matrix.labels.indexOf("cat");
    const j = r.matrix.labels.indexOf("dog");
    expect(r.matrix.counts[i]![j]).toBe(1);
    expect(r.matrix.counts[i]![i]).toBe(1);
    expect(r.flips.find((f) => f.label === "cat")).toMatchObject({ n: 2, flipped: 1 });
  });

  it("histograms confidence deltas B − A and summarises latency of successful answers", () => {
    expect(r.deltas.total).toBe(3);
    expect(r.deltas.bins.reduce((n, b) => n + b.count, 0)).toBe(3);
    // A: 100, 110, 90 → p50 100; B: 120, 130, 140, 150 → p50 135
    expect(r.latency.a.p50).toBe(100);
    expect(r.latency.b.p50).toBe(135);
  });

  it("reports accuracy and McNemar when there is ground truth", () => {
    // rows 1–3 have truth: A right on 1 and 3, B right on all three → b = 0, c = 1
    expect(r.accuracy).toMatchObject({ n: 3, a: { correct: 2 }, b: { correct: 3 } });
    expect(r.accuracy?.mcnemar).toMatchObject({ b: 0, c: 1, p: 1 });
    expect(r.accuracy?.sentence).toMatch(/p = 1|No evidence/);
    expect(buildReport(rows.map((x) => ({ ...x, truth: null }))).accuracy).toBeNull();
  });
});
