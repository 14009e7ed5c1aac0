/**
 * McNemar's exact test: do two models' error rates differ on the same samples?
 * Conventions as in stats.ts (invalid counts throw `RangeError`).
 */
import { assertCount } from "./stats";

export interface McnemarResult {
  /** Samples where model A is right and model B is wrong. */
  b: number;
  /** Samples where model A is wrong and model B is right. */
  c: number;
  /** Discordant samples, b + c. */
  n: number;
  /** Exact two-sided p-value; 1 when there is no discordant sample. */
  p: number;
}

/** log(e^x + e^y) without overflow or underflow. */
function logAddExp(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY) return y;
  if (y === Number.NEGATIVE_INFINITY) return x;
  const hi = Math.max(x, y);
  return hi + Math.log1p(Math.exp(Math.min(x, y) - hi));
}

/**
 * log P(X ≤ k) for X ~ Bin(n, ½), in log space so that n = 20,000 neither overflows
 * (C(20000, 10000) ≈ 10^6018) nor underflows (2^−20000):
 *   log pmf(0) = −n·ln 2,   log pmf(i+1) = log pmf(i) + ln((n − i)/(i + 1)),
 * summed with log-sum-exp. Each step adds one rounding error of about 1e-16 to a
 * log, so after k ≤ 10,000 steps the relative error of the result is below 1e-11.
 */
export function logBinomialHalfCdf(k: number, n: number): number {
  assertCount("n", n);
  if (!Number.isSafeInteger(k)) throw new RangeError(`k must be an integer, got ${k}.`);
  if (k < 0) return Number.NEGATIVE_INFINITY;
  if (k >= n) return 0;
  let logTerm = -n * Math.LN2;
  let logSum = logTerm;
  for (let i = 0; i < k; i++) {
    logTerm += Math.log((n - i) / (i + 1));
    logSum = logAddExp(logSum, logTerm);
  }
  return Math.min(0, logSum);
}

/**
 * McNemar's exact test (the binomial test on the discordant pairs). Under the null
 * hypothesis that both models have the same error rate, each of the n = b + c
 * discordant samples is equally likely to favour A or B, so min(b, c) follows
 * Bin(n, ½) and the two-sided p-value is
 *
 *   p = min(1, 2 · P(X ≤ min(b, c))),  X ~ Bin(b + c, ½).
 *
 * b + c = 0 (the models are right and wrong on exactly the same samples): p = 1.
 * A single discordant sample gives p = 1 too: one sample cannot show a difference.
 * Very lopsided large tables give p = 0 (the true value is below 1e-308).
 */
export function mcnemarExact(b: number, c: number): McnemarResult {
  assertCount("b", b);
  assertCount("c", c);
  const n = b + c;
  if (n === 0) return { b, c, n, p: 1 };
  const logTail = logBinomialHalfCdf(Math.min(b, c), n);
  return { b, c, n, p: Math.min(1, 2 * Math.exp(logTail)) };
}

/**
 * A p-value for people: "p < 0.001" below 0.001, otherwise "p = " and two significant
 * digits without trailing zeros (0.0625 → "p = 0.063", 0.109375 → "p = 0.11",
 * 1 → "p = 1"). `NaN` → "p = n/a".
 */
export function formatPValue(p: number, significantDigits = 2): string {
  if (Number.isNaN(p)) return "p = n/a";
  if (p < 0.001) return "p < 0.001";
  return `p = ${Number(p.toPrecision(significantDigits))}`;
}

export interface DescribeMcnemarOptions {
  /** Significance level; default 0.05. */
  alpha?: number;
  /** How to call the models; default "Model A" and "Model B". */
  nameA?: string;
  nameB?: string;
}

function samples(count: number): string {
  return `${count} sample${count === 1 ? "" : "s"}`;
}

/**
 * McNemar's result in plain words, e.g.
 * - "No evidence that the models' error rates differ: Model A alone was right on 3
 *   samples, Model B alone on 5 (p = 0.73)."
 * - "Model B makes fewer errors: it alone was right on 8 samples, Model A alone on 2;
 *   a difference this large would happen by chance with p = 0.003."
 * The verdict uses `alpha` (0.05); when two-digit rounding would print a significant
 * p as alpha or more (0.0496 → "0.05"), a third digit is shown.
 */
export function describeMcnemar(result: McnemarResult, options: DescribeMcnemarOptions = {}): string {
  const { alpha = 0.05, nameA = "Model A", nameB = "Model B" } = options;
  const { b, c, p } = result;
  if (b + c === 0) {
    return "The models were right and wrong on exactly the same samples, so there is no evidence that their error rates differ (p = 1).";
  }
  let formatted = formatPValue(p);
  if (p < alpha && p >= 0.001 && Number(p.toPrecision(2)) >= alpha) formatted = formatPValue(p, 3);
  if (p >= alpha || b === c) {
    return `No evidence that the models' error rates differ: ${nameA} alone was right on ${samples(b)}, ${nameB} alone on ${c} (${formatted}).`;
  }
  const [better, worse, betterOnly, worseOnly] = c > b ? [nameB, nameA, c, b] : [nameA, nameB, b, c];
  return `${better} makes fewer errors: it alone was right on ${samples(betterOnly)}, ${worse} alone on ${worseOnly}; a difference this large would happen by chance with ${formatted}.`;
}
