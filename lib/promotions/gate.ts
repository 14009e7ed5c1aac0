/**
 * Evidence rules of promotion requests (pure: no database, no React), shared
 * by the service, which enforces them, and the request form, which shows the
 * same verdict before submit.
 *
 * Matching evidence for "move environment E of function F to target T" is a
 * finished comparison run of F whose two sides are E's current pin and T, in
 * either order (model ids; null = "latest"). A side on "latest" only says
 * what latest was while the run ran (Nyckel cannot tell which model latest
 * is), so such a run must have finished within the last 24 hours.
 */

import { wilsonInterval } from "@/lib/compare/stats";

export const LATEST_EVIDENCE_MAX_AGE_HOURS = 24;

/** Defaults of an environment's evidence gate besides the minimum agreement. */
export const GATE_DEFAULTS = { minAnsweredSamples: 30, maxErrorPct: 5, lowerBound: false } as const;

/**
 * An environment's evidence gate. `minAgreementPct` null: no gate (evidence
 * optional). Otherwise a matching run must have at least `minAnsweredSamples`
 * samples both models answered, at most `maxErrorPct` % of its samples left
 * unanswered by either model (errors), and an agreement — or, with
 * `lowerBound`, the lower end of its 95% Wilson interval — of at least
 * `minAgreementPct` %.
 */
export type GatePolicy = {
  minAgreementPct: number | null;
  minAnsweredSamples: number;
  maxErrorPct: number;
  lowerBound: boolean;
};
const LATEST_EVIDENCE_MAX_AGE_MS = LATEST_EVIDENCE_MAX_AGE_HOURS * 3600_000;

export type EvidenceAgreement = { n: number; agree: number; rate: number };

export type EvidenceRun = {
  id: string;
  functionId: string;
  status: string;
  /** Nyckel model ids of the two sides; null = latest. */
  modelA: string | null;
  modelB: string | null;
  finishedAt: Date | string | null;
  /** Samples in the run. */
  total: number;
  /** Over the samples both models answered; null or n = 0 when none. */
  agreement: EvidenceAgreement | null;
};

export type EvidenceTarget = {
  functionId: string;
  environmentName: string;
  /** E's current pin (null = latest) and the requested target (null = latest). */
  currentModelId: string | null;
  targetModelId: string | null;
  now: Date;
};

export type EvidenceVerdict =
  | { ok: true; currentSide: "a" | "b"; agreement: EvidenceAgreement | null }
  | { ok: false; code: "not_finished" | "other_function" | "other_models" | "latest_too_old"; message: string };

export type GateVerdict =
  | { ok: true; gated: boolean; message: string }
  | { ok: false; code: EvidenceFailureCode | GateFailureCode; message: string };

export type GateFailureCode = "no_run" | "no_answers" | "too_few_answered" | "too_many_errors" | "below_minimum" | "lower_bound_below_minimum";

type EvidenceFailureCode = Extract<EvidenceVerdict, { ok: false }>["code"];

const side = (id: string | null) => id ?? "latest";

/** A rate as a percentage with one decimal, like the comparison report shows it. */
export function formatPct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** Rounded down, so a failing rate never reads as the minimum itself (0.8996 → "89.9%", not "90.0%"). */
function formatPctDown(rate: number): string {
  return `${(Math.floor(rate * 1000 + 1e-9) / 10).toFixed(1)}%`;
}

/** Whether a run is evidence for this request (finished, same function, the right two models, fresh enough). */
export function matchEvidence(run: EvidenceRun, t: EvidenceTarget): EvidenceVerdict {
  if (run.functionId !== t.functionId) return { ok: false, code: "other_function", message: "That comparison run is of another function." };
  if (run.status !== "finished" || !run.finishedAt) {
    return {
      ok: false,
      code: "not_finished",
      message: `That comparison run is ${run.status}, not finished. Wait until it finishes, or attach a finished run.`,
    };
  }
  const forward = run.modelA === t.currentModelId && run.modelB === t.targetModelId;
  const backward = run.modelB === t.currentModelId && run.modelA === t.targetModelId;
  if (!forward && !backward) {
    return {
      ok: false,
      code: "other_models",
      message:
        `That comparison run compares ${side(run.modelA)} with ${side(run.modelB)}; evidence must compare ${t.environmentName}'s current pin ` +
        `(${side(t.currentModelId)}) with the requested model (${side(t.targetModelId)}).`,
    };
  }
  if (t.currentModelId === null || t.targetModelId === null) {
    const age = t.now.getTime() - new Date(run.finishedAt).getTime();
    if (age > LATEST_EVIDENCE_MAX_AGE_MS) {
      return {
        ok: false,
        code: "latest_too_old",
        message:
          `That comparison run against “latest” finished ${Math.floor(age / 3600_000)} h ago; evidence against “latest” must have finished ` +
          `within the last ${LATEST_EVIDENCE_MAX_AGE_HOURS} hours, because Nyckel cannot say which model “latest” was then. Run the comparison again.`,
      };
    }
  }
  return { ok: true, currentSide: forward ? "a" : "b", agreement: run.agreement };
}

/** An environment row's gate. */
export function gatePolicyOf(e: { minAgreementPct: number | null; minAnsweredSamples: number; maxErrorPct: number; gateLowerBound: boolean }): GatePolicy {
  return { minAgreementPct: e.minAgreementPct, minAnsweredSamples: e.minAnsweredSamples, maxErrorPct: e.maxErrorPct, lowerBound: e.gateLowerBound };
}

/** The rules besides the minimum, as frozen into a request's evidence summary. */
export function gateRules(g: GatePolicy): { minAnsweredSamples: number; maxErrorPct: number; lowerBound: boolean } {
  return { minAnsweredSamples: g.minAnsweredSamples, maxErrorPct: g.maxErrorPct, lowerBound: g.lowerBound };
}

/** The gate's rules in words, for the form's hint and the messages. */
export function describeGate(g: GatePolicy): string | null {
  if (g.minAgreementPct === null) return null;
  const measure = g.lowerBound ? "the lower bound of the agreement's 95% interval" : "agreement";
  return `${measure} ≥ ${g.minAgreementPct}% on at least ${g.minAnsweredSamples} answered samples, with at most ${g.maxErrorPct}% errors`;
}

/**
 * The environment's evidence gate. Without a minimum agreement, evidence is
 * optional (but an attached run must still match). With one, a matching,
 * finished run that passes every rule of the gate is required; the verdict
 * names the first rule that refused.
 */
export function evaluateGate(run: EvidenceRun | null, t: EvidenceTarget, gate: GatePolicy): GateVerdict {
  const evidence = run ? matchEvidence(run, t) : null;
  if (evidence && !evidence.ok) return evidence;
  const min = gate.minAgreementPct;
  if (min === null) {
    return { ok: true, gated: false, message: run ? "The comparison compares the current pin with the requested model." : `${t.environmentName} needs no evidence.` };
  }
  const required = `${min}%`;
  if (!run) {
    return {
      ok: false,
      code: "no_run",
      message:
        `${t.environmentName} requires evidence: a finished comparison of its current pin (${side(t.currentModelId)}) with the requested model ` +
        `(${side(t.targetModelId)}) with ${describeGate(gate)}. Attach one.`,
    };
  }
  const agreement = run.agreement;
  if (!agreement || agreement.n === 0) {
    return { ok: false, code: "no_answers", message: "In that comparison run no sample was answered by both models, so it shows no agreement." };
  }
  if (agreement.n < gate.minAnsweredSamples) {
    return {
      ok: false,
      code: "too_few_answered",
      message: `That comparison run has ${agreement.n} samples both models answered; ${t.environmentName} requires at least ${gate.minAnsweredSamples}. Compare on a larger sample set.`,
    };
  }
  const total = Math.max(run.total, agreement.n);
  const errors = total - agreement.n;
  if (errors * 100 > gate.maxErrorPct * total) {
    return {
      ok: false,
      code: "too_many_errors",
      message:
        `In that comparison run ${errors} of ${total} samples (${formatPct(errors / total)}) were not answered by both models; ` +
        `${t.environmentName} allows at most ${gate.maxErrorPct}% errors.`,
    };
  }
  if (agreement.rate * 100 < min) {
    return {
      ok: false,
      code: "below_minimum",
      message: `Agreement in that comparison run is ${formatPctDown(agreement.rate)} (${agreement.agree} of ${agreement.n} samples), below the required ${required} for ${t.environmentName}.`,
    };
  }
  if (gate.lowerBound) {
    const low = wilsonInterval(agreement.agree, agreement.n).low;
    if (low * 100 < min) {
      return {
        ok: false,
        code: "lower_bound_below_minimum",
        message:
          `Agreement in that comparison run is ${formatPct(agreement.rate)} (${agreement.agree} of ${agreement.n}), but the lower bound of its 95% interval is ` +
          `${formatPctDown(low)}, below the required ${required} for ${t.environmentName}. More samples narrow the interval.`,
      };
    }
    return {
      ok: true,
      gated: true,
      message: `Agreement ${formatPct(agreement.rate)} (${agreement.agree} of ${agreement.n}; 95% interval from ${formatPct(low)}) meets the required ${required}.`,
    };
  }
  return { ok: true, gated: true, message: `Agreement ${formatPct(agreement.rate)} (${agreement.agree} of ${agreement.n}) meets the required ${required}.` };
}
