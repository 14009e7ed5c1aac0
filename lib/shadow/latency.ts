/**
 * Latency sketch of shadow evaluation (pure): log-scale buckets, 5% wide, so hourly aggregates
 * hold a few dozen (bucket, count) rows per side and any window's p50/p95 is read from their
 * sum within ±2.5% of the exact value.
 */

const GROWTH = Math.log(1.05);

/** The bucket of a latency in ms (0 for 0 ms and below). */
export function latencyBucket(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.floor(Math.log1p(ms) / GROWTH) + 1;
}

/** The middle of a bucket, in ms. */
export function bucketMiddle(bucket: number): number {
  if (bucket <= 0) return 0;
  return Math.expm1((bucket - 0.5) * GROWTH);
}

/** The p-th percentile (0–100) of a histogram (bucket → count); NaN when empty. Nearest rank. */
export function histogramPercentile(counts: ReadonlyMap<number, number>, p: number): number {
  let total = 0;
  for (const c of counts.values()) total += c;
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bucket)!;
    if (seen >= rank) return bucketMiddle(bucket);
  }
  return Number.NaN;
}
