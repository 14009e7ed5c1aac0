/**
 * Wording of the report's statistics, shared by the run page and a promotion's
 * frozen evidence (pure: safe in any component). Undefined figures print "—".
 */

const signed = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x).toFixed(1)}`;

/** "83.3%" */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined || !Number.isFinite(rate) ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** "83.3% (70.1–91.5%)": a rate with its 95% interval; "—" when the rate is undefined. */
export function percentWithCi(rate: number | null | undefined, low: number, high: number): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "—";
  return `${percent(rate)} (${(low * 100).toFixed(1)}–${percent(high)})`;
}

/**
 * The paired accuracy difference in points, e.g. "+2.1 points (95% CI −0.5 to +4.7)",
 * then what the interval says: better, worse, or no clear difference.
 */
export function describeAccuracyDifference(d: { difference: number | null; low: number; high: number }, names: { a: string; b: string }): string {
  if (d.difference === null || !Number.isFinite(d.difference)) return `Accuracy ${names.b} − ${names.a}: — (no samples with ground truth).`;
  const figure = `${signed(d.difference * 100)} points (95% CI ${signed(d.low * 100)} to ${signed(d.high * 100)})`;
  const verdict =
    d.low > 0 ? `${names.b} is more accurate` : d.high < 0 ? `${names.b} is less accurate` : "the interval includes 0: no clear difference";
  return `Accuracy ${names.b} − ${names.a}: ${figure}; ${verdict}.`;
}
