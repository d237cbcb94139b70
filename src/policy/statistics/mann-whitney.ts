import { normalSurvival } from './normal';

export interface MannWhitney {
  /** The canary's U: pairs (canary, stable) where the canary's value is larger, ties counting half. */
  u: number;
  z: number;
  /** Two-sided. */
  pValue: number;
  /** P(canary > stable) + ½ P(equal): 0.5 when neither tends to be larger. */
  probabilityOfSuperiority: number;
}

/**
 * The two-sided Mann-Whitney U test of canary against stable, by the normal approximation
 * with the tie correction and the continuity correction: as SciPy's
 * `mannwhitneyu(canary, stable, method='asymptotic')`. Both inputs ascending and non-empty.
 * Ranks come from one merge of the two sorted samples, so it costs O(n + m).
 */
export function mannWhitney(canary: Float64Array, stable: Float64Array): MannWhitney {
  const n1 = canary.length;
  const n2 = stable.length;
  const n = n1 + n2;
  let i = 0;
  let j = 0;
  let rank = 0;
  let canaryRanks = 0;
  let ties = 0;
  while (i < n1 || j < n2) {
    const value = j >= n2 || (i < n1 && canary[i] <= stable[j]) ? canary[i] : stable[j];
    let fromCanary = 0;
    let fromStable = 0;
    for (; i < n1 && canary[i] === value; i++) fromCanary++;
    for (; j < n2 && stable[j] === value; j++) fromStable++;
    const t = fromCanary + fromStable;
    // The group takes ranks rank+1 … rank+t; each of its members the average.
    canaryRanks += fromCanary * (rank + (t + 1) / 2);
    ties += t * t * t - t;
    rank += t;
  }
  const u = canaryRanks - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  const probabilityOfSuperiority = u / (n1 * n2);
  // Every value equal: no evidence either way.
  if (!(variance > 0)) return { u, z: 0, pValue: 1, probabilityOfSuperiority };
  const z = (Math.max(u, n1 * n2 - u) - mean - 0.5) / Math.sqrt(variance);
  return { u, z, pValue: Math.min(1, 2 * normalSurvival(z)), probabilityOfSuperiority };
}
