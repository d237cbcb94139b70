import { sortNonNegative } from './sort';

/** What cleaning left of one side's samples, and what it dropped. */
export interface CleanSamples {
  /** Ascending. */
  sorted: Float64Array;
  /** NaN and infinite values dropped. */
  notANumber: number;
  /** Negative values dropped (latencies, counts and rates are never negative). */
  negative: number;
  /** Values outside Tukey's fences, when outlier removal was asked for. */
  outliers: number;
}

/**
 * Drops what is not a measurement (NaN, ±Infinity, negatives) and, when asked, values
 * outside Tukey's fences (1.5 × IQR beyond the quartiles); sorts the rest.
 */
export function cleanSamples(values: readonly number[], options: { removeOutliers?: boolean } = {}): CleanSamples {
  let notANumber = 0;
  let negative = 0;
  const kept = new Float64Array(values.length);
  let length = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) notANumber++;
    else if (v < 0) negative++;
    else kept[length++] = v;
  }
  const cleaned = { sorted: sortNonNegative(kept.subarray(0, length)), notANumber, negative, outliers: 0 };
  return options.removeOutliers ? withoutOutliers(cleaned) : cleaned;
}

/**
 * Cleaned samples without the values outside Tukey's fences (1.5 × IQR beyond the
 * quartiles): from samples already sorted, so the rank test's copy costs no second sort.
 */
export function withoutOutliers(clean: CleanSamples): CleanSamples {
  const { sorted } = clean;
  if (sorted.length < 4) return clean;
  const q1 = quantileOfSorted(sorted, 0.25);
  const q3 = quantileOfSorted(sorted, 0.75);
  const fence = 1.5 * (q3 - q1);
  const inside = sorted.filter((v) => v >= q1 - fence && v <= q3 + fence);
  return { ...clean, sorted: inside, outliers: clean.outliers + sorted.length - inside.length };
}

/** The p-quantile of ascending values, linearly interpolated (numpy's default, "linear"). */
export function quantileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
