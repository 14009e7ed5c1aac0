/**
 * Accuracy of two models against ground truth. Conventions as in stats.ts (`null` is
 * "no label", a ratio over nothing is `NaN`, labels ordered by count then name).
 */
import { mcnemarExact, type McnemarResult } from "./mcnemar";
import { pairedDifference, type PairedDifference } from "./stats-paired";
import { bump, orderLabels, wilsonInterval, type Interval, type Label } from "./stats";

export interface AccuracyRow {
  /** Ground truth; rows without one (null, undefined or "") are left out and counted. */
  truth: string | null | undefined;
  a: Label;
  b: Label;
}

export interface LabelMetrics {
  label: string;
  /** Rows whose truth is this label. */
  support: number;
  /** Rows the model gave this label. */
  predicted: number;
  truePositives: number;
  /** truePositives / predicted (`NaN` when never predicted). */
  precision: number;
  /** 95% Wilson interval of the precision ([0, 1] when never predicted). */
  precisionCi: Interval;
  /** truePositives / support (`NaN` when the label never occurs in the truth). */
  recall: number;
  /** 95% Wilson interval of the recall ([0, 1] when the label never occurs in the truth). */
  recallCi: Interval;
  /** 2PR / (P + R); `NaN` when P or R is undefined, 0 when both are 0. */
  f1: number;
}

export interface ModelAccuracy {
  correct: number;
  n: number;
  /** correct / n (`NaN` when n = 0). */
  accuracy: number;
  /** 95% Wilson interval of the accuracy. */
  ci: Interval;
  perLabel: LabelMetrics[];
}

export interface AccuracyReport {
  /** Rows with ground truth (the denominator of everything below). */
  n: number;
  /** Rows left out because they have no ground truth. */
  withoutTruth: number;
  /** Every label in the truth or a prediction: by support desc, then name. */
  labels: string[];
  a: ModelAccuracy;
  b: ModelAccuracy;
  bothRight: number;
  bothWrong: number;
  /** b = A right & B wrong, c = A wrong & B right. */
  mcnemar: McnemarResult;
  /** Accuracy of B minus accuracy of A on the same rows, with Newcombe's paired 95% interval. */
  difference: PairedDifference;
}

function modelAccuracy(rows: ReadonlyArray<{ truth: string; predicted: Label }>, labels: readonly string[]): ModelAccuracy {
  const predicted = new Map<Label, number>();
  const tp = new Map<Label, number>();
  const support = new Map<Label, number>();
  let correct = 0;
  for (const { truth, predicted: label } of rows) {
    bump(support, truth);
    if (label !== null) bump(predicted, label);
    if (label === truth) {
      correct++;
      bump(tp, truth);
    }
  }
  const perLabel = labels.map((label): LabelMetrics => {
    const s = support.get(label) ?? 0;
    const pr = predicted.get(label) ?? 0;
    const t = tp.get(label) ?? 0;
    const p = wilsonInterval(t, pr);
    const r = wilsonInterval(t, s);
    const precision = p.p;
    const recall = r.p;
    const f1 = Number.isNaN(precision) || Number.isNaN(recall) ? Number.NaN : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, support: s, predicted: pr, truePositives: t, precision, precisionCi: { low: p.low, high: p.high }, recall, recallCi: { low: r.low, high: r.high }, f1 };
  });
  const w = wilsonInterval(correct, rows.length);
  return { correct, n: rows.length, accuracy: w.p, ci: { low: w.low, high: w.high }, perLabel };
}

/**
 * Accuracy of A and B against ground truth, with Wilson intervals, per-label
 * precision / recall / F1 (precision and recall with Wilson intervals), McNemar's
 * exact test on the rows where exactly one model is right, and the paired
 * difference of accuracy B − A with Newcombe's interval (stats-paired.ts). A `null` prediction (error / no label) is wrong: it counts against
 * recall of the true label and against no label's precision.
 */
export function accuracyReport(rows: readonly AccuracyRow[]): AccuracyReport {
  const withTruth: Array<{ truth: string; a: Label; b: Label }> = [];
  let withoutTruth = 0;
  for (const row of rows) {
    if (row.truth === null || row.truth === undefined || row.truth === "") withoutTruth++;
    else withTruth.push({ truth: row.truth, a: row.a, b: row.b });
  }
  const support = new Map<Label, number>();
  for (const { truth } of withTruth) bump(support, truth);
  for (const { a, b } of withTruth) {
    if (a !== null && !support.has(a)) support.set(a, 0);
    if (b !== null && !support.has(b)) support.set(b, 0);
  }
  const labels = orderLabels(support) as string[];
  let onlyA = 0;
  let onlyB = 0;
  let bothRight = 0;
  let bothWrong = 0;
  for (const { truth, a, b } of withTruth) {
    const aRight = a === truth;
    const bRight = b === truth;
    if (aRight && bRight) bothRight++;
    else if (aRight) onlyA++;
    else if (bRight) onlyB++;
    else bothWrong++;
  }
  return {
    n: withTruth.length,
    withoutTruth,
    labels,
    a: modelAccuracy(withTruth.map((r) => ({ truth: r.truth, predicted: r.a })), labels),
    b: modelAccuracy(withTruth.map((r) => ({ truth: r.truth, predicted: r.b })), labels),
    bothRight,
    bothWrong,
    mcnemar: mcnemarExact(onlyA, onlyB),
    difference: pairedDifference({ bothRight, onlyA, onlyB, bothWrong }),
  };
}
