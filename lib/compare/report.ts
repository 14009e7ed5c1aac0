import { accuracyReport, type AccuracyReport } from "./accuracy";
import { describeMcnemar } from "./mcnemar";
import {
  agreement,
  histogram,
  latencySummary,
  perLabelFlipRates,
  transitionMatrix,
  type Agreement,
  type Histogram,
  type LabelFlipRate,
  type LatencySummary,
  type TransitionMatrix,
} from "./stats";

/** One sample of a run with both sides' outcomes (null = not recorded yet). */
export type RunRow = {
  position: number;
  truth: string | null;
  a: { ok: boolean; label: string | null; confidence: number | null; latencyMs: number | null } | null;
  b: { ok: boolean; label: string | null; confidence: number | null; latencyMs: number | null } | null;
};

export type RunReport = {
  answered: number;
  agreement: Agreement;
  matrix: TransitionMatrix;
  flips: LabelFlipRate[];
  deltas: Histogram;
  latency: { a: LatencySummary; b: LatencySummary };
  errors: { a: number; b: number };
  accuracy: (AccuracyReport & { sentence: string }) | null;
};

/**
 * The comparison report from a run's rows: computed over samples both models
 * answered (errors are counted separately), so a partial run reports honestly.
 */
export function buildReport(rows: readonly RunRow[]): RunReport {
  const both = rows.filter((r) => r.a?.ok && r.b?.ok) as Array<RunRow & { a: NonNullable<RunRow["a"]>; b: NonNullable<RunRow["b"]> }>;
  const pairs = both.map((r) => ({ a: r.a.label, b: r.b.label }));
  const deltas = both.filter((r) => r.a.confidence !== null && r.b.confidence !== null).map((r) => r.b.confidence! - r.a.confidence!);
  const latency = (side: "a" | "b") => rows.flatMap((r) => (r[side]?.ok && r[side]!.latencyMs !== null ? [r[side]!.latencyMs!] : []));
  const withTruth = both.filter((r) => r.truth !== null && r.truth !== "");
  const acc = withTruth.length ? accuracyReport(withTruth.map((r) => ({ truth: r.truth, a: r.a.label, b: r.b.label }))) : null;
  return {
    answered: both.length,
    agreement: agreement(pairs),
    matrix: transitionMatrix(pairs),
    flips: perLabelFlipRates(pairs),
    deltas: histogram(deltas, { min: -1, max: 1, bins: 20 }),
    latency: { a: latencySummary(latency("a")), b: latencySummary(latency("b")) },
    errors: { a: rows.filter((r) => r.a && !r.a.ok).length, b: rows.filter((r) => r.b && !r.b.ok).length },
    accuracy: acc ? { ...acc, sentence: describeMcnemar(acc.mcnemar, { nameA: "Model A", nameB: "Model B" }) } : null,
  };
}
