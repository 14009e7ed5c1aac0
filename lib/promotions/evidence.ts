import { createHash } from "node:crypto";
import { canonicalJson } from "@/lib/audit/hash";
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
  };
  gate: { minAgreementPct: number | null; passed: boolean; rules?: { minAnsweredSamples: number; maxErrorPct: number; lowerBound: boolean } };
};

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

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
        }
      : null,
    gate,
  };
}

/** SHA-256 (hex) of the summary's canonical JSON (keys sorted at every level, as jsonb does not keep order). */
export function evidenceHash(summary: unknown): string {
  return createHash("sha256").update(canonicalJson(summary)).digest("hex");
}
