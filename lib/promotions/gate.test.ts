import { describe, expect, it } from "vitest";
import { describeGate, evaluateGate, GATE_DEFAULTS, matchEvidence, type EvidenceRun, type EvidenceTarget, type GatePolicy } from "./gate";

const now = new Date("2026-03-10T12:00:00Z");
const target: EvidenceTarget = { functionId: "f1", environmentName: "Production", currentModelId: "model_cur", targetModelId: "model_new", now };
const run = (o: Partial<EvidenceRun> = {}): EvidenceRun => ({
  id: "r1",
  functionId: "f1",
  status: "finished",
  modelA: "model_cur",
  modelB: "model_new",
  finishedAt: new Date("2026-03-10T11:00:00Z"),
  total: 200,
  agreement: { n: 200, agree: 190, rate: 0.95 },
  ...o,
});

describe("evidence matching", () => {
  it("accepts the current pin against the target in either order, and says which side is current", () => {
    expect(matchEvidence(run(), target)).toMatchObject({ ok: true, currentSide: "a" });
    expect(matchEvidence(run({ modelA: "model_new", modelB: "model_cur" }), target)).toMatchObject({ ok: true, currentSide: "b" });
  });

  it("refuses other models, another function and unfinished runs, saying why", () => {
    expect(matchEvidence(run({ modelB: "model_x" }), target)).toEqual({
      ok: false,
      code: "other_models",
      message: "That comparison run compares model_cur with model_x; evidence must compare Production's current pin (model_cur) with the requested model (model_new).",
    });
    expect(matchEvidence(run({ functionId: "f2" }), target)).toMatchObject({ ok: false, code: "other_function" });
    expect(matchEvidence(run({ status: "running", finishedAt: null }), target)).toMatchObject({ ok: false, code: "not_finished", message: expect.stringContaining("is running, not finished") });
  });

  it("a side on latest must be latest in the run and at most 24 hours old", () => {
    const onLatest = { ...target, currentModelId: null };
    expect(matchEvidence(run({ modelA: null, finishedAt: new Date("2026-03-09T12:30:00Z") }), onLatest)).toMatchObject({ ok: true });
    expect(matchEvidence(run({ modelA: null, finishedAt: new Date("2026-03-09T11:00:00Z") }), onLatest)).toMatchObject({
      ok: false,
      code: "latest_too_old",
      message: expect.stringContaining("finished 25 h ago"),
    });
    expect(matchEvidence(run({ modelA: "model_cur" }), onLatest)).toMatchObject({ ok: false, code: "other_models" });
    // Requesting "latest" as the target: the same freshness rule.
    const toLatest = { ...target, targetModelId: null };
    expect(matchEvidence(run({ modelB: null, finishedAt: new Date("2026-03-08T12:00:00Z") }), toLatest)).toMatchObject({ ok: false, code: "latest_too_old" });
  });
});

const gate = (minAgreementPct: number | null, o: Partial<GatePolicy> = {}): GatePolicy => ({ minAgreementPct, ...GATE_DEFAULTS, ...o });

describe("evidence gate", () => {
  it("without a minimum, evidence is optional but must match when attached", () => {
    expect(evaluateGate(null, target, gate(null))).toMatchObject({ ok: true, gated: false });
    expect(evaluateGate(run({ modelB: "model_x" }), target, gate(null))).toMatchObject({ ok: false, code: "other_models" });
  });

  it("with a minimum: no run, no answers, below and at the minimum", () => {
    expect(evaluateGate(null, target, gate(90))).toMatchObject({ ok: false, code: "no_run", message: expect.stringContaining("Production requires evidence") });
    expect(evaluateGate(run({ agreement: { n: 0, agree: 0, rate: Number.NaN } }), target, gate(90))).toMatchObject({ ok: false, code: "no_answers" });
    expect(evaluateGate(run({ total: 10000, agreement: { n: 10000, agree: 8996, rate: 0.8996 } }), target, gate(90))).toEqual({
      ok: false,
      code: "below_minimum",
      message: "Agreement in that comparison run is 89.9% (8996 of 10000 samples), below the required 90% for Production.",
    });
    expect(evaluateGate(run({ total: 30, agreement: { n: 30, agree: 27, rate: 0.9 } }), target, gate(90))).toMatchObject({ ok: true, gated: true });
  });

  it("one agreeing sample of one does not pass a 99% gate: at least 30 answered samples by default", () => {
    expect(evaluateGate(run({ total: 1, agreement: { n: 1, agree: 1, rate: 1 } }), target, gate(99))).toEqual({
      ok: false,
      code: "too_few_answered",
      message: "That comparison run has 1 samples both models answered; Production requires at least 30. Compare on a larger sample set.",
    });
    expect(evaluateGate(run({ total: 29, agreement: { n: 29, agree: 29, rate: 1 } }), target, gate(99))).toMatchObject({ code: "too_few_answered" });
    expect(evaluateGate(run({ total: 5, agreement: { n: 5, agree: 5, rate: 1 } }), target, gate(99, { minAnsweredSamples: 5 }))).toMatchObject({ ok: true });
  });

  it("a run where most samples failed does not pass: at most 5% errors by default", () => {
    // 100 samples, 40 answered by both, all 40 agree: 60% errors.
    expect(evaluateGate(run({ total: 100, agreement: { n: 40, agree: 40, rate: 1 } }), target, gate(90))).toEqual({
      ok: false,
      code: "too_many_errors",
      message: "In that comparison run 60 of 100 samples (60.0%) were not answered by both models; Production allows at most 5% errors.",
    });
    // Exactly 5%: allowed; one more: refused.
    expect(evaluateGate(run({ total: 100, agreement: { n: 95, agree: 95, rate: 1 } }), target, gate(90))).toMatchObject({ ok: true });
    expect(evaluateGate(run({ total: 100, agreement: { n: 94, agree: 94, rate: 1 } }), target, gate(90))).toMatchObject({ code: "too_many_errors" });
    expect(evaluateGate(run({ total: 100, agreement: { n: 60, agree: 60, rate: 1 } }), target, gate(90, { maxErrorPct: 50 }))).toMatchObject({ ok: true });
  });

  it("can require the lower bound of the 95% interval, not the point estimate, to reach the minimum", () => {
    const r = run({ total: 40, agreement: { n: 40, agree: 38, rate: 0.95 } });
    expect(evaluateGate(r, target, gate(90))).toMatchObject({ ok: true });
    expect(evaluateGate(r, target, gate(90, { lowerBound: true }))).toMatchObject({
      ok: false,
      code: "lower_bound_below_minimum",
      message: expect.stringMatching(/lower bound of its 95% interval is 83\.\d%, below the required 90% for Production/),
    });
    const big = run({ total: 2000, agreement: { n: 2000, agree: 1900, rate: 0.95 } });
    expect(evaluateGate(big, target, gate(90, { lowerBound: true }))).toMatchObject({ ok: true, message: expect.stringContaining("95% interval from 94.") });
  });

  it("describes its rules", () => {
    expect(describeGate(gate(null))).toBeNull();
    expect(describeGate(gate(90))).toBe("agreement ≥ 90% on at least 30 answered samples, with at most 5% errors");
    expect(describeGate(gate(90, { lowerBound: true }))).toContain("the lower bound of the agreement's 95% interval ≥ 90%");
  });
});
