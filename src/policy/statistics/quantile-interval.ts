import { normalQuantile } from './normal';

export interface QuantileInterval {
  quantile: number;
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/**
 * A quantile's distribution-free confidence interval: the order statistics whose ranks
 * the binomial distribution of "values below the quantile" brackets (Conover, Practical
 * Nonparametric Statistics, 3rd ed., §3.2), by its normal approximation, widened by one
 * rank each way so the coverage is not below `confidence` for the sample sizes a canary
 * has. The estimate is the order statistic of rank ⌈n·q⌉ (numpy's "inverted_cdf").
 */
export function quantileInterval(sorted: Float64Array, quantile: number, confidence = 0.95): QuantileInterval {
  const n = sorted.length;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const spread = z * Math.sqrt(n * quantile * (1 - quantile));
  const at = (rank: number) => sorted[Math.min(n, Math.max(1, rank)) - 1];
  return {
    quantile,
    estimate: at(Math.ceil(n * quantile)),
    lower: at(Math.floor(n * quantile - spread)),
    upper: at(Math.ceil(n * quantile + spread) + 1),
    confidence,
  };
}
