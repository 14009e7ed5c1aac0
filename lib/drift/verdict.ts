/**
 * Drift watch's verdict on a finished evaluation run (pure: no database), the
 * rules of docs/drift.md:
 *
 * 1. The environment's evidence gate (lib/promotions/gate.ts), as a request
 *    would meet it; without a minimum agreement, still at least one sample
 *    answered by both models and at most the policy's error share (an
 *    evaluation where the models failed proves nothing).
 * 2. With ground truth on the golden set: the new model must not be worse —
 *    McNemar's exact test at the environment's drift significance; "worse" =
 *    it is wrong alone on more samples than the pin, with p below it.
 *
 * The reason is one sentence in plain words, e.g. "agreement 35% (95% CI
 * 29–42%) is below Staging's 80%".
 */
import type { RunReport } from "@/lib/compare/report";
import { formatPValue } from "@/lib/compare/mcnemar";
import { evaluateGate, gatePolicyOf, type EvidenceRun } from "@/lib/promotions/gate";

export type DriftPolicy = {
  name: string;
  minAgreementPct: number | null;
  minAnsweredSamples: number;
  maxErrorPct: number;
  gateLowerBound: boolean;
  driftSignificance: number;
};

export type DriftVerdict = { pass: true; summary: string } | { pass: false; reason: string };

/** A whole percentage; a failing figure just under the limit keeps one decimal, so it never reads as the limit. */
export function pct(rate: number, limitPct?: number): string {
  const whole = Math.round(rate * 100);
  if (limitPct !== undefined && rate * 100 < limitPct && whole >= limitPct) return `${(Math.floor(rate * 1000) / 10).toFixed(1)}%`;
  return `${whole}%`;
}

function ciText(low: number, high: number): string {
  return `95% CI ${Math.round(low * 100)}–${Math.round(high * 100)}%`;
}

/**
 * `run` is the evaluation run as evidence (side A = the pin, side B = the
 * candidate); `pinName` names the pin in sentences.
 */
export function driftVerdict(input: {
  policy: DriftPolicy;
  run: EvidenceRun;
  report: RunReport;
  pinModelId: string | null;
  candidateModelId: string | null;
  pinName: string;
  now: Date;
}): DriftVerdict {
  const { policy, run, report } = input;
  const env = policy.name;
  const gate = gatePolicyOf(policy);
  const verdict = evaluateGate(run, { functionId: run.functionId, environmentName: env, currentModelId: input.pinModelId, targetModelId: input.candidateModelId, now: input.now }, gate);
  const { agree, n, rate, ci } = report.agreement;
  const total = Math.max(run.total, n);
  const errors = total - n;
  if (!verdict.ok) {
    switch (verdict.code) {
      case "below_minimum":
        return { pass: false, reason: `agreement ${pct(rate, policy.minAgreementPct!)} (${ciText(ci.low, ci.high)}) is below ${env}'s ${policy.minAgreementPct}%` };
      case "lower_bound_below_minimum":
        return { pass: false, reason: `agreement ${pct(rate)} (${ciText(ci.low, ci.high)}): its lower bound is below ${env}'s ${policy.minAgreementPct}%` };
      case "too_few_answered":
        return { pass: false, reason: `only ${n} golden samples were answered by both models; ${env} requires at least ${policy.minAnsweredSamples}` };
      case "too_many_errors":
        return { pass: false, reason: `${errors} of ${total} golden samples (${pct(errors / total)}) were not answered by both models; ${env} allows at most ${policy.maxErrorPct}%` };
      case "no_answers":
        return { pass: false, reason: "no golden sample was answered by both models" };
      default:
        return { pass: false, reason: verdict.message };
    }
  }
  if (n === 0) return { pass: false, reason: "no golden sample was answered by both models" };
  if (errors * 100 > policy.maxErrorPct * total) {
    return { pass: false, reason: `${errors} of ${total} golden samples (${pct(errors / total)}) were not answered by both models; ${env} allows at most ${policy.maxErrorPct}%` };
  }
  const agreement = `agreement ${pct(rate)} (${ciText(ci.low, ci.high)}, ${agree} of ${n})`;
  const acc = report.accuracy;
  if (!acc || acc.n === 0) return { pass: true, summary: `${agreement}; the golden set has no ground truth` };
  const alpha = policy.driftSignificance;
  // McNemar's b: the pin (side A) alone right; c: the new model (side B) alone right.
  const { b: pinAlone, c: candidateAlone, p } = acc.mcnemar;
  const accuracy = `accuracy ${pct(acc.b.accuracy)} vs ${pct(acc.a.accuracy)} for ${input.pinName}`;
  if (pinAlone > candidateAlone && p < alpha) {
    return {
      pass: false,
      reason:
        `accuracy ${pct(acc.b.accuracy)} is worse than ${input.pinName}'s ${pct(acc.a.accuracy)} on the golden set's ground truth ` +
        `(the pin alone was right on ${pinAlone} samples, the new model alone on ${candidateAlone}; McNemar ${formatPValue(p)} < ${alpha})`,
    };
  }
  return { pass: true, summary: `${agreement}; ${accuracy} (McNemar ${formatPValue(p)}: not worse at ${alpha})` };
}
