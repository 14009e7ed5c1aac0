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

export const LATEST_EVIDENCE_MAX_AGE_HOURS = 24;
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
  | { ok: false; code: EvidenceFailureCode | "no_run" | "no_answers" | "below_minimum"; message: string };

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

/**
 * The environment's evidence gate. Without a minimum agreement, evidence is
 * optional (but an attached run must still match). With one, a matching,
 * finished run whose agreement reaches the minimum is required.
 */
export function evaluateGate(run: EvidenceRun | null, t: EvidenceTarget, minAgreementPct: number | null): GateVerdict {
  const evidence = run ? matchEvidence(run, t) : null;
  if (evidence && !evidence.ok) return evidence;
  if (minAgreementPct === null) {
    return { ok: true, gated: false, message: run ? "The comparison compares the current pin with the requested model." : `${t.environmentName} needs no evidence.` };
  }
  const required = `${minAgreementPct}%`;
  if (!run) {
    return {
      ok: false,
      code: "no_run",
      message:
        `${t.environmentName} requires evidence: a finished comparison of its current pin (${side(t.currentModelId)}) with the requested model ` +
        `(${side(t.targetModelId)}) in which they agree on at least ${required} of the samples. Attach one.`,
    };
  }
  const agreement = run.agreement;
  if (!agreement || agreement.n === 0) {
    return { ok: false, code: "no_answers", message: "In that comparison run no sample was answered by both models, so it shows no agreement." };
  }
  if (agreement.rate * 100 < minAgreementPct) {
    return {
      ok: false,
      code: "below_minimum",
      message: `Agreement in that comparison run is ${formatPctDown(agreement.rate)} (${agreement.agree} of ${agreement.n} samples), below the required ${required} for ${t.environmentName}.`,
    };
  }
  return { ok: true, gated: true, message: `Agreement ${formatPct(agreement.rate)} (${agreement.agree} of ${agreement.n}) meets the required ${required}.` };
}
