import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/audit/hash";
import type { LabelMetrics } from "@/lib/compare/accuracy";
import type { RunReport } from "@/lib/compare/report";

/**
 * The evidence frozen into a promotion request at submit: what the approvers
 * saw, whatever happens to the run later. Plain JSON (no NaN: undefined
 * figures are null), hashed over its canonical form.
 */
export type EvidenceSummary = {
  runId: string;
  functionId: string;
  sampleSet: { id: string; name: string };
  modelA: { modelId: string | null; label: string };
  modelB: { modelId: string | null; label: string };
  /** Which side of the run is the environment's current pin (the other is the requested target). */
  currentSide: "a" | "b";
  finishedAt: string;
  samples: number;
  /** Samples both models answered: the denominator of the agreement. */
  answered: number;
  agreement: { agree: number; n: number; rate: number | null; ciLow: number; ciHigh: number };
  errors: { a: number; b: number };
  accuracy: null | {
    n: number;
    a: { correct: number; accuracy: number | null; ciLow: number; ciHigh: number };
    b: { correct: number; accuracy: number | null; ciLow: number; ciHigh: number };
    mcnemarP: number;
    sentence: string;
    /** Accuracy B − A with Newcombe's paired 95% interval. Absent from evidence frozen before issue 16. */
    difference?: { bMinusA: number | null; ciLow: number; ciHigh: number; method: string };
    /** Per-label precision and recall with 95% Wilson intervals (the EVIDENCE_LABELS most supported labels). Absent before issue 16. */
    perLabel?: EvidenceLabel[];
    /** Labels left out of perLabel (beyond EVIDENCE_LABELS). */
    perLabelOmitted?: number;
  };
  gate: { minAgreementPct: number | null; passed: boolean; rules?: { minAnsweredSamples: number; maxErrorPct: number; lowerBound: boolean } };
  /**
   * Set when the evidence is a shadow evaluation (issue 18, lib/shadow/evidence.ts), not a run: live traffic of the
   * environment over `window`, mirrored to the candidate. Then runId is the shadow's id, side A the served model,
   * samples the mirrored requests; the agreement and gate mean the same as for a run.
   */
  shadow?: { shadowId: string; snapshotId?: string; environment: string; window: { from: string; to: string }; mirrored: number; sharePct: number };
};

/** One label's figures in the frozen evidence; undefined rates are null. */
export type EvidenceLabel = {
  label: string;
  support: number;
  a: EvidenceRates;
  b: EvidenceRates;
};
type EvidenceRates = { precision: number | null; precisionCi: [number, number]; recall: number | null; recallCi: [number, number] };

/** Labels kept in the frozen evidence (by support): enough for any real classifier, bounded for one with thousands. */
export const EVIDENCE_LABELS = 50;

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function rates(m: LabelMetrics | undefined): EvidenceRates {
  if (!m) return { precision: null, precisionCi: [0, 1], recall: null, recallCi: [0, 1] };
  return { precision: finite(m.precision), precisionCi: [m.precisionCi.low, m.precisionCi.high], recall: finite(m.recall), recallCi: [m.recallCi.low, m.recallCi.high] };
}

export function buildEvidenceSummary(
  run: {
    id: string;
    functionId: string;
    sampleSet: { id: string; name: string };
    modelA: string | null;
    modelALabel: string;
    modelB: string | null;
    modelBLabel: string;
    finishedAt: Date;
    total: number;
  },
  report: RunReport,
  currentSide: "a" | "b",
  gate: EvidenceSummary["gate"],
): EvidenceSummary {
  const acc = report.accuracy;
  return {
    runId: run.id,
    functionId: run.functionId,
    sampleSet: { id: run.sampleSet.id, name: run.sampleSet.name },
    modelA: { modelId: run.modelA, label: run.modelALabel },
    modelB: { modelId: run.modelB, label: run.modelBLabel },
    currentSide,
    finishedAt: run.finishedAt.toISOString(),
    samples: run.total,
    answered: report.answered,
    agreement: {
      agree: report.agreement.agree,
      n: report.agreement.n,
      rate: finite(report.agreement.rate),
      ciLow: report.agreement.ci.low,
      ciHigh: report.agreement.ci.high,
    },
    errors: { a: report.errors.a, b: report.errors.b },
    accuracy: acc
      ? {
          n: acc.n,
          a: { correct: acc.a.correct, accuracy: finite(acc.a.accuracy), ciLow: acc.a.ci.low, ciHigh: acc.a.ci.high },
          b: { correct: acc.b.correct, accuracy: finite(acc.b.accuracy), ciLow: acc.b.ci.low, ciHigh: acc.b.ci.high },
          mcnemarP: acc.mcnemar.p,
          sentence: acc.sentence,
          difference: { bMinusA: finite(acc.difference.difference), ciLow: acc.difference.ci.low, ciHigh: acc.difference.ci.high, method: acc.difference.method },
          perLabel: acc.labels.slice(0, EVIDENCE_LABELS).map((label, i) => ({ label, support: acc.a.perLabel[i]?.support ?? 0, a: rates(acc.a.perLabel[i]), b: rates(acc.b.perLabel[i]) })),
          perLabelOmitted: Math.max(0, acc.labels.length - EVIDENCE_LABELS),
        }
      : null,
    gate,
  };
}

/** SHA-256 (hex) of the summary's canonical JSON (keys sorted at every level, as jsonb does not keep order). */
export function evidenceHash(summary: unknown): string {
  return createHash("sha256").update(canonicalJson(summary)).digest("hex");
}
