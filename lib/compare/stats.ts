/**
 * Statistics for comparing two classifiers on the same samples (issue 5's report).
 *
 * Pure functions over plain arrays: no database, no Nyckel, no React. Results are
 * plain objects (JSON-friendly except that an undefined ratio is `NaN`, which
 * `JSON.stringify` writes as `null` and React's serializer keeps as `NaN`).
 *
 * Conventions shared by every function here:
 * - A label of `null` means "no label": the model errored or returned no label. It is
 *   a category of its own (a row and a column of the transition matrix, agreeing with
 *   another `null`). Callers that want errors out of a figure filter them first.
 * - A ratio over zero items (agreement of no pairs, precision of a label never
 *   predicted, …) is `NaN`, never 0 or 1: "undefined", shown as "—".
 * - Labels are ordered deterministically: by count, descending, then by name in
 *   UTF-16 code-unit order (not locale order, so server and browser agree), with
 *   `null` always last.
 * - Invalid arguments (negative counts, successes > n, NaN values, p outside
 *   0–100) are programming errors and throw `RangeError`.
 *
 * McNemar's exact test is in mcnemar.ts, accuracy against ground truth in accuracy.ts.
 */

/** z for a two-sided 95% interval: the 97.5th percentile of the standard normal. */
export const Z_95 = 1.959963984540054;

/** A label as a model returned it; `null` = error or no label. */
export type Label = string | null;

export interface Interval {
  low: number;
  high: number;
}

export interface WilsonInterval extends Interval {
  /** The point estimate successes / n (`NaN` when n = 0). */
  p: number;
}

export function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}.`);
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927), at 95% by default:
 *
 *   p̂ = s/n,  center = (p̂ + z²/2n) / (1 + z²/n),
 *   half = z/(1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²),  [center − half, center + half].
 *
 * Unlike the normal ("Wald") interval it stays inside [0, 1] and is not degenerate at
 * 0 or n successes. The bounds are clamped to [0, 1] and are exactly 0 (s = 0) and
 * exactly 1 (s = n), which rounding would otherwise miss by 1e-17.
 *
 * n = 0 (no data): `{ low: 0, high: 1, p: NaN }`: every proportion is possible.
 */
export function wilsonInterval(successes: number, n: number, z: number = Z_95): WilsonInterval {
  assertCount("n", n);
  assertCount("successes", successes);
  if (successes > n) throw new RangeError(`successes (${successes}) cannot exceed n (${n}).`);
  if (!Number.isFinite(z) || z <= 0) throw new RangeError(`z must be a positive number, got ${z}.`);
  if (n === 0) return { low: 0, high: 1, p: Number.NaN };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return {
    low: successes === 0 ? 0 : Math.max(0, center - half),
    high: successes === n ? 1 : Math.min(1, center + half),
    p,
  };
}

// ---------------------------------------------------------------------------
// Agreement, transitions, flips

export interface LabelPair {
  a: Label;
  b: Label;
  /** How many samples this pair stands for (default 1): shadow evaluation passes counted pairs. */
  count?: number;
}

const weight = (pair: LabelPair) => pair.count ?? 1;

/** Sorts labels by count descending, then name (code-unit order), null last. */
export function orderLabels(counts: Map<Label, number>): Label[] {
  return [...counts.keys()].sort((x, y) => {
    if (x === null) return y === null ? 0 : 1;
    if (y === null) return -1;
    const byCount = (counts.get(y) ?? 0) - (counts.get(x) ?? 0);
    if (byCount !== 0) return byCount;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export function bump(map: Map<Label, number>, key: Label, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export interface Agreement {
  n: number;
  agree: number;
  /** agree / n (`NaN` when n = 0). */
  rate: number;
  /** 95% Wilson interval of the rate; [0, 1] when n = 0. */
  ci: Interval;
}

/** How often A and B give the same label (`a === b`; two `null`s agree). */
export function agreement(pairs: readonly LabelPair[]): Agreement {
  let agree = 0;
  for (const { a, b } of pairs) if (a === b) agree++;
  const w = wilsonInterval(agree, pairs.length);
  return { n: pairs.length, agree, rate: w.p, ci: { low: w.low, high: w.high } };
}

export interface TransitionMatrix {
  /** Row (A) and column (B) labels, in one shared order; `null` = error/no label. */
  labels: Label[];
  /**
   * counts[i][j] = samples where A said labels[i] and B said labels[j]. Indexed by
   * position, not by name, because `null` cannot be an object key without a sentinel
   * string that a real label could equal; use `transitionCount` to look up by label.
   */
  counts: number[][];
  /** Row sums: how often A said each label. */
  aTotals: number[];
  /** Column sums: how often B said each label. */
  bTotals: number[];
  total: number;
}

/**
 * The A × B label transition matrix. Labels are every label either model said,
 * ordered by how often they occur in A and B together (descending), then by name,
 * with `null` last; the diagonal is agreement.
 */
export function transitionMatrix(pairs: readonly LabelPair[]): TransitionMatrix {
  const occurrences = new Map<Label, number>();
  for (const pair of pairs) {
    bump(occurrences, pair.a, weight(pair));
    bump(occurrences, pair.b, weight(pair));
  }
  const labels = orderLabels(occurrences);
  const index = new Map<Label, number>(labels.map((label, i) => [label, i]));
  const counts = labels.map(() => labels.map(() => 0));
  const aTotals = labels.map(() => 0);
  const bTotals = labels.map(() => 0);
  let total = 0;
  for (const pair of pairs) {
    const i = index.get(pair.a) as number;
    const j = index.get(pair.b) as number;
    const w = weight(pair);
    (counts[i] as number[])[j] = ((counts[i] as number[])[j] as number) + w;
    aTotals[i] = (aTotals[i] as number) + w;
    bTotals[j] = (bTotals[j] as number) + w;
    total += w;
  }
  return { labels, counts, aTotals, bTotals, total };
}

/** The count for A = `a`, B = `b` (0 for labels not in the matrix). */
export function transitionCount(matrix: TransitionMatrix, a: Label, b: Label): number {
  const i = matrix.labels.indexOf(a);
  const j = matrix.labels.indexOf(b);
  if (i < 0 || j < 0) return 0;
  return matrix.counts[i]?.[j] ?? 0;
}

export interface LabelFlipRate {
  /** A label of model A. */
  label: Label;
  /** Samples A gave this label. */
  n: number;
  /** Of those, samples where B said something else (another label or `null`). */
  flipped: number;
  /** flipped / n. */
  rate: number;
  /** 95% Wilson interval of the rate. */
  ci: Interval;
}

/**
 * For each label of model A: how often B says something else. Ordered by n
 * descending, then name, `null` last (a `null` row is "A errored / no label, and B
 * did not").
 */
export function perLabelFlipRates(pairs: readonly LabelPair[]): LabelFlipRate[] {
  const n = new Map<Label, number>();
  const flipped = new Map<Label, number>();
  for (const pair of pairs) {
    bump(n, pair.a, weight(pair));
    if (pair.a !== pair.b) bump(flipped, pair.a, weight(pair));
  }
  return orderLabels(n).map((label) => {
    const total = n.get(label) ?? 0;
    const flips = flipped.get(label) ?? 0;
    const w = wilsonInterval(flips, total);
    return { label, n: total, flipped: flips, rate: w.p, ci: { low: w.low, high: w.high } };
  });
}

// ---------------------------------------------------------------------------
// Percentiles, latency, histograms

function sortedFinite(values: readonly number[], what: string): number[] {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what} must be finite numbers, got ${v}.`);
  return [...values].sort((x, y) => x - y);
}

function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const x = sorted[lo] as number;
  const y = sorted[hi] as number;
  const t = rank - lo;
  // numpy's lerp: from the nearer end, so t = 1 gives exactly y.
  return t < 0.5 ? x + (y - x) * t : y - (y - x) * (1 - t);
}

/**
 * The p-th percentile (p in 0–100) by linear interpolation between the closest ranks,
 * numpy's default (`method="linear"`, Hyndman & Fan type 7, Excel's PERCENTILE.INC):
 * with the values sorted ascending as x[0..n−1], rank r = p/100 · (n − 1) and the
 * result is x[⌊r⌋] + (x[⌈r⌉] − x[⌊r⌋]) · (r − ⌊r⌋). Empty input → `NaN`. Does not
 * modify `values`.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`p must be between 0 and 100, got ${p}.`);
  return percentileOfSorted(sortedFinite(values, "values"), p);
}

export interface LatencySummary {
  n: number;
  /** Median, by `percentile` (linear interpolation). */
  p50: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** p50, p95, mean, min and max of latencies (ms); all `NaN` when there are none. */
export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = sortedFinite(values, "latencies");
  const n = sorted.length;
  if (n === 0) return { n, p50: Number.NaN, p95: Number.NaN, mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n,
    p50: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    mean: sum / n,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
  };
}

export interface HistogramOptions {
  /** Lower edge; default -1 (confidence deltas). */
  min?: number;
  /** Upper edge; default 1. */
  max?: number;
  /** Number of equal bins. Give `bins` or `binWidth`, not both; default 20 bins. */
  bins?: number;
  /** Width of each bin; the last bin ends at `max` and may be narrower. */
  binWidth?: number;
}

export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

export interface Histogram {
  bins: HistogramBin[];
  /** All values given, including those outside [min, max]. */
  total: number;
  /** Values below `min` (not in any bin, but not dropped silently either). */
  below: number;
  /** Values above `max`. */
  above: number;
}

/**
 * Counts values into bins over [min, max] (default [-1, 1], 20 bins of 0.1, for
 * confidence deltas B − A). Bins are half-open [start, end) except the last, which is
 * closed [start, max] so that `max` itself (a delta of exactly 1) is counted. Bin
 * edges are min + i·width; a value is placed by comparing it with those same edges,
 * so it always lands in the bin whose printed range contains it. Values outside
 * [min, max] are counted in `below` / `above`; NaN throws.
 */
export function histogram(values: readonly number[], options: HistogramOptions = {}): Histogram {
  const { min = -1, max = 1 } = options;
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) {
    throw new RangeError(`Histogram range must be finite with max > min, got [${min}, ${max}].`);
  }
  if (options.bins !== undefined && options.binWidth !== undefined) throw new RangeError("Give bins or binWidth, not both.");
  let bins: number;
  let width: number;
  if (options.binWidth !== undefined) {
    if (!(options.binWidth > 0) || !Number.isFinite(options.binWidth)) throw new RangeError(`binWidth must be positive, got ${options.binWidth}.`);
    width = options.binWidth;
    // Tolerate float noise: a range of 2 with width 0.1 is 20 bins, not 21.
    bins = Math.max(1, Math.ceil((max - min) / width - 1e-9));
  } else {
    bins = options.bins ?? 20;
    if (!Number.isSafeInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}.`);
    width = (max - min) / bins;
  }
  const edge = (i: number): number => (i >= bins ? max : min + i * width);
  const result: HistogramBin[] = Array.from({ length: bins }, (_, i) => ({ start: edge(i), end: edge(i + 1), count: 0 }));
  let below = 0;
  let above = 0;
  for (const v of values) {
    if (Number.isNaN(v)) throw new RangeError("Histogram values must not be NaN.");
    if (v < min) {
      below++;
      continue;
    }
    if (v > max) {
      above++;
      continue;
    }
    let i = Math.min(bins - 1, Math.floor((v - min) / width));
    while (i > 0 && v < edge(i)) i--;
    while (i < bins - 1 && v >= edge(i + 1)) i++;
    (result[i] as HistogramBin).count++;
  }
  return { bins: result, total: values.length, below, above };
}
