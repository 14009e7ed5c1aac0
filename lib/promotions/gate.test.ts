import { describe, expect, it } from "vitest";
import { evaluateGate, matchEvidence, type EvidenceRun, type EvidenceTarget } from "./gate";

const now = new Date("2026-03-10T12:00:00Z");
const target: EvidenceTarget = { functionId: "f1", environmentName: "Production", currentModelId: "model_cur", targetModelId: "model_new", now };
const run = (o: Partial<EvidenceRun> = {}): EvidenceRun => ({
  id: "r1",
  functionId: "f1",
  status: "finished",
  modelA: "model_cur",
  modelB: "model_new",
  finishedAt: new Date("2026-03-10T11:00:00Z"),
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

describe("evidence gate", () => {
  it("without a minimum, evidence is optional but must match when attached", () => {
    expect(evaluateGate(null, target, null)).toMatchObject({ ok: true, gated: false });
    expect(evaluateGate(run({ modelB: "model_x" }), target, null)).toMatchObject({ ok: false, code: "other_models" });
  });

  it("with a minimum: no run, no answers, below and at the minimum", () => {
    expect(evaluateGate(null, target, 90)).toMatchObject({ ok: false, code: "no_run", message: expect.stringContaining("Production requires evidence") });
    expect(evaluateGate(run({ agreement: { n: 0, agree: 0, rate: Number.NaN } }), target, 90)).toMatchObject({ ok: false, code: "no_answers" });
    expect(evaluateGate(run({ agreement: { n: 10000, agree: 8996, rate: 0.8996 } }), target, 90)).toEqual({
      ok: false,
      code: "below_minimum",
      message: "Agreement in that comparison run is 89.9% (8996 of 10000 samples), below the required 90% for Production.",
    });
    expect(evaluateGate(run({ agreement: { n: 10, agree: 9, rate: 0.9 } }), target, 90)).toMatchObject({ ok: true, gated: true });
  });
});
