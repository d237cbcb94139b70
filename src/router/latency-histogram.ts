/**
 * Latencies kept as counts in logarithmic buckets rather than as samples, so a second
 * of heavy traffic costs a few hundred counters at most and percentiles of any window
 * are a merge of counts.
 *
 * Bucket i holds latencies in (0.1 ms × 1.05^(i-1), 0.1 ms × 1.05^i]; bucket 0 holds
 * everything up to 0.1 ms. A percentile is reported as the geometric middle of its
 * bucket, so it is within 2.5 % of the true value: 50 ms lands in bucket 128, which
 * spans 49.1–51.6 ms and is reported as 50.3 ms.
 */

const SMALLEST_MS = 0.1;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);

/** Bucket index → count; sparse, because real latencies cluster in a few buckets. */
export type LatencyHistogram = Map<number, number>;

export function latencyBucket(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH);
}

export function recordLatency(histogram: LatencyHistogram, ms: number): void {
  const bucket = latencyBucket(ms);
  histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
}

export function mergeInto(target: LatencyHistogram, source: LatencyHistogram): void {
  for (const [bucket, count] of source) target.set(bucket, (target.get(bucket) ?? 0) + count);
}

/**
 * The latency below which a fraction `p` (0–1) of the recorded requests fall, by
 * nearest rank; undefined for an empty histogram. Rounded to 0.1 ms.
 */
export function percentile(histogram: LatencyHistogram, p: number): number | undefined {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket) as number;
    if (seen >= rank) return Math.round(bucketMiddle(bucket) * 10) / 10;
  }
  return undefined;
}

/** The histogram as [ms, count] pairs in rising order, each bucket's count at its middle (to 0.01 ms). */
export function latencyPairs(histogram: LatencyHistogram): Array<[number, number]> {
  return [...histogram.entries()].sort(([a], [b]) => a - b).map(([bucket, count]) => [Math.round(bucketMiddle(bucket) * 100) / 100, count]);
}

function bucketMiddle(bucket: number): number {
  return bucket === 0 ? SMALLEST_MS / 2 : SMALLEST_MS * GROWTH ** (bucket - 0.5);
}
