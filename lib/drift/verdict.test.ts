import { describe, expect, it } from "vitest";
import { buildReport, type RunRow } from "@/lib/compare/report";
import { driftVerdict, pct, type DriftPolicy } from "./verdict";

const policy = (p: Partial<DriftPolicy> = {}): DriftPolicy => ({
  name: "Staging",
  minAgreementPct: 80,
  minAnsweredSamples: 30,
  maxErrorPct: 5,
  gateLowerBound: false,
  driftSignificance: 0.05,
  ...p,
});

/** `n` samples; the first `disagree` get different labels from the two models; truth optional. */
function rows(n: number, disagree: number, truth?: (i: number, a: string, b: string) => string | null, failedB = 0): RunRow[] {
  return Array.from({ length: n }, (_, i) => {
    const a = "Cat";
    const b = i < disagree ? "Dog" : "Cat";
    const side = (label: string, ok = true) => ({ ok, label: ok ? label : null, confidence: 0.9, latencyMs: 10 });
    return { position: i + 1, truth: truth ? truth(i, a, b) : null, a: side(a), b: side(b, i >= n - failedB ? false : true) };
  });
}

function verdict(r: RunRow[], p = policy()) {
  const report = buildReport(r);
  return driftVerdict({
    policy: p,
    run: { id: "run", functionId: "f", status: "finished", modelA: "model_a", modelB: "model_b", finishedAt: new Date(), total: r.length, agreement: { n: report.agreement.n, agree: report.agreement.agree, rate: report.agreement.rate } },
    report,
    pinModelId: "model_a",
    candidateModelId: "model_b",
    pinName: "Staging's pin",
    now: new Date(),
  });
}

describe("drift verdict", () => {
  it("below the gate: agreement with its interval against the environment's minimum, in plain words", () => {
    expect(verdict(rows(200, 130))).toEqual({ pass: false, reason: "agreement 35% (95% CI 29–42%) is below Staging's 80%" });
  });

  it("a rate just under the minimum never reads as the minimum", () => {
    expect(pct(0.7996, 80)).toBe("79.9%");
    expect(pct(0.7996)).toBe("80%");
  });

  it("without a gate, failures still count: too many unanswered samples refuse", () => {
    expect(verdict(rows(100, 5, undefined, 10), policy({ minAgreementPct: null }))).toEqual({
      pass: false,
      reason: "10 of 100 golden samples (10%) were not answered by both models; Staging allows at most 5%",
    });
  });

  it("passes the gate without ground truth", () => {
    expect(verdict(rows(100, 5))).toEqual({ pass: true, summary: "agreement 95% (95% CI 89–98%, 95 of 100); the golden set has no ground truth" });
  });

  it("with ground truth: a model wrong alone on many samples is worse (McNemar at the environment's significance)", () => {
    const r = rows(100, 15, (_i, a) => a); // truth = the pin: the new model is wrong on all 15 changes
    expect(verdict(r, policy({ minAgreementPct: null }))).toEqual({
      pass: false,
      reason:
        "accuracy 85% is worse than Staging's pin's 100% on the golden set's ground truth (the pin alone was right on 15 samples, the new model alone on 0; McNemar p < 0.001 < 0.05)",
    });
  });

  it("with ground truth: a better model, or a difference McNemar cannot tell from chance, passes", () => {
    const better = verdict(rows(100, 15, (_i, _a, b) => b), policy({ minAgreementPct: null }));
    expect(better).toMatchObject({ pass: true });
    expect(better.pass && better.summary).toContain("accuracy 100% vs 85% for Staging's pin");
    // The pin alone right on 5 samples, the new model on none: p = 0.0625 — not worse at 0.05, worse at 0.1.
    const close = rows(100, 5, (_i, a) => a);
    expect(verdict(close, policy({ minAgreementPct: null }))).toMatchObject({ pass: true });
    expect(verdict(close, policy({ minAgreementPct: null, driftSignificance: 0.1 }))).toMatchObject({ pass: false });
  });
});
