import { normalSurvival } from './normal';

export interface Counts {
  /** Events counted (errors). */
  events: number;
  /** Out of how many (requests). */
  trials: number;
}

export interface ProportionTest {
  canaryRate: number;
  stableRate: number;
  /** Canary's rate over stable's (Infinity when stable had none and the canary some). */
  ratio: number;
  /** Two-sided. */
  pValue: number;
  /** Fisher's exact test when an expected count is below 5 (sparse errors); else the pooled z-test. */
  test: 'fisher-exact' | 'z-test';
}

/**
 * Whether the canary's event rate differs from stable's, on the counts themselves (not on
 * per-interval means, which a metric of mostly zeros fools). The pooled two-proportion
 * z-test, the same p-value as SciPy's `chi2_contingency(table, correction=False)`; Fisher's
 * exact test (`scipy.stats.fisher_exact`, two-sided) when the table is too sparse for it.
 */
export function compareProportions(canary: Counts, stable: Counts): ProportionTest {
  const canaryRate = canary.trials > 0 ? canary.events / canary.trials : 0;
  const stableRate = stable.trials > 0 ? stable.events / stable.trials : 0;
  const ratio = stableRate > 0 ? canaryRate / stableRate : canaryRate > 0 ? Number.POSITIVE_INFINITY : 1;
  const trials = canary.trials + stable.trials;
  const events = canary.events + stable.events;
  const pooled = events / trials;
  const expected = [canary.trials * pooled, canary.trials * (1 - pooled), stable.trials * pooled, stable.trials * (1 - pooled)];
  if (events === 0 || events === trials) return { canaryRate, stableRate, ratio, pValue: 1, test: 'z-test' };
  if (expected.some((e) => e < 5)) return { canaryRate, stableRate, ratio, pValue: fisherExact(canary, stable), test: 'fisher-exact' };
  const z = Math.abs(canaryRate - stableRate) / Math.sqrt(pooled * (1 - pooled) * (1 / canary.trials + 1 / stable.trials));
  return { canaryRate, stableRate, ratio, pValue: Math.min(1, 2 * normalSurvival(z)), test: 'z-test' };
}

/**
 * Two-sided Fisher's exact test of the 2×2 table: the probability, with the margins fixed,
 * of every table at most as likely as the one seen (SciPy's definition, with its relative
 * tolerance of 1e-7 for ties in probability).
 */
export function fisherExact(canary: Counts, stable: Counts): number {
  const events = canary.events + stable.events;
  const lo = Math.max(0, events - stable.trials);
  const hi = Math.min(events, canary.trials);
  const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);
  const total = logChoose(canary.trials + stable.trials, events);
  const logP = (x: number) => logChoose(canary.trials, x) + logChoose(stable.trials, events - x) - total;
  const observed = logP(canary.events);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const l = logP(x);
    if (l <= observed + 1e-7) p += Math.exp(l);
  }
  return Math.min(1, p);
}

/** ln(n!) by summing logs up to a table's reach, and Stirling's series beyond. */
function logFactorial(n: number): number {
  if (n < 2) return 0;
  if (n < 256) {
    let s = 0;
    for (let i = 2; i <= n; i++) s += Math.log(i);
    return s;
  }
  return (n + 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n ** 3);
}
