import { normalQuantile } from './normal';

export interface ShiftEstimate {
  /** Hodges–Lehmann: the median of every canary − stable difference. */
  estimate: number;
  /** Its distribution-free confidence interval (Moses), at `confidence`. */
  lower: number;
  upper: number;
  confidence: number;
}

/**
 * The Hodges–Lehmann estimate of how far the canary's values are shifted from stable's,
 * with Moses' confidence interval: the k-th smallest and k-th largest of the n·m pairwise
 * differences, k from the Mann-Whitney distribution's normal approximation (Hollander &
 * Wolfe, Nonparametric Statistical Methods, 3rd ed., §4.3). Both inputs ascending and
 * non-empty. The n·m differences are never listed: each order statistic is found by
 * counting (see `selectDifference`).
 */
export function hodgesLehmann(canary: Float64Array, stable: Float64Array, confidence = 0.95): ShiftEstimate {
  const n = canary.length;
  const m = stable.length;
  const pairs = n * m;
  const descending = Float64Array.from(stable).reverse();
  // Each selection starts from the last counts of the one before: the ranks are close.
  let last: Sweep | undefined;
  const rank = (k: number) => {
    const selected = selectDifference(canary, descending, k, last);
    last = selected.last;
    return selected.value;
  };
  const estimate = pairs % 2 === 1 ? rank((pairs + 1) / 2) : (rank(pairs / 2) + rank(pairs / 2 + 1)) / 2;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const k = Math.max(1, Math.round(pairs / 2 - z * Math.sqrt((pairs * (n + m + 1)) / 12)));
  return { estimate, lower: rank(k), upper: rank(pairs - k + 1), confidence };
}

/** Once this few differences lie between the bounds, they are listed and sorted. */
const LIST_BELOW = 1024;

/** Two close values counted in one sweep. */
interface Sweep {
  below: number;
  above: number;
  countBelow: number;
  countAbove: number;
}

/**
 * The k-th smallest (1-based) of a[i] − b[j] over every pair, a ascending and b
 * descending. How many differences are at most d is one monotone sweep, O(n + m): row i
 * counts the b[j] ≥ a[i] − d, a prefix of b that shortens as a[i] grows. Each round
 * interpolates two values expected just below and just above rank k, and counts both in
 * one sweep; the bounds (lo, hi] close on both sides at once (a few rounds for the
 * samples a canary has), with bisection when interpolation gains little; then the few
 * differences left between them are listed. `from`, a sweep already made for a nearby
 * rank, saves the first; the last sweep is given back for the next rank.
 */
function selectDifference(a: Float64Array, b: Float64Array, k: number, from?: Sweep): { value: number; last: Sweep | undefined } {
  const n = a.length;
  const m = b.length;
  // (lo, hi] holds every difference: lo just below the smallest.
  const smallest = a[0] - b[0];
  let lo = smallest - Math.max(1, Math.abs(smallest)) * 1e-9;
  let countLo = 0;
  let hi = a[n - 1] - b[m - 1];
  let countHi = n * m;
  const margin = LIST_BELOW / 4;
  // Each sweep counts two close values: the slope between them predicts where the ranks
  // around k lie (a secant step), aimed on both sides of k by the last prediction's miss.
  // The first pair sits at the medians' difference; a prediction that missed by more
  // than a quarter of what is left gives way to halving the bounds.
  let below = a[n >> 1] - b[m >> 1];
  let above = below + (hi - lo) / 4096;
  let aimedAt: number | undefined;
  let miss = 0;
  // The smallest difference above lo: where a flat count (ties) is stepped over.
  let nextAfterLo = smallest;
  let exact = false;
  let stalls = 0;
  let lastWidth = Number.NaN;
  let last = from;
  let reuse = from !== undefined;
  for (;;) {
    if (reuse) [below, above] = [last!.below, last!.above];
    else {
      // Aims beyond the bounds stop just inside them (what lies beyond is known).
      const edge = (hi - lo) / 1e6;
      [below, above] = [Math.min(Math.max(below, lo + edge), hi - edge), Math.min(Math.max(above, lo + edge), hi - edge)];
      if (exact) [below, above] = [nextAfterLo, nextAfterLo];
      else if (!(below > lo && above < hi && below <= above)) [below, above, aimedAt] = [lo + (hi - lo) / 2, lo + (hi - lo) / 2, undefined];
      const [countBelow, countAbove] = countAtMost(a, b, below, above);
      last = { below, above, countBelow, countAbove };
    }
    reuse = false;
    const { countBelow, countAbove } = last!;
    // Nothing lies between lo and a difference that reaches rank k: it is the answer.
    if (exact && countBelow >= k) return { value: nextAfterLo, last };
    if (aimedAt !== undefined) miss = Math.abs(countBelow - aimedAt);
    if (countBelow >= k) [hi, countHi] = [below, countBelow];
    else {
      [lo, countLo] = [below, countBelow];
      if (countAbove >= k) [hi, countHi] = [above, countAbove];
      else [lo, countLo] = [above, countAbove];
    }
    const width = countHi - countLo;
    if (width <= LIST_BELOW) break;
    const slope = countAbove > countBelow ? (countAbove - countBelow) / (above - below) : 0;
    // Rounds that narrow the values but not the count: a run of ties at hi. Step to the
    // next difference itself, whose count says whether it is the answer.
    stalls = width === lastWidth ? stalls + 1 : 0;
    lastWidth = width;
    if (stalls >= 2) nextAfterLo = smallestAbove(a, b, lo);
    exact = stalls >= 2 && nextAfterLo > lo && nextAfterLo < hi;
    if (exact) continue;
    if (slope > 0 && (aimedAt === undefined || miss < width / 4)) {
      // Wide enough for the last miss, never wider than a quarter of what is left.
      const reach = margin + Math.min(2 * miss, width / 4);
      aimedAt = k - reach;
      [below, above] = [below + (k - reach - countBelow) / slope, below + (k + reach - countBelow) / slope];
    } else {
      below = lo + (hi - lo) / 2;
      above = below + (hi - lo) / 4096;
      aimedAt = undefined;
      // Bounds no value splits any more.
      if (!(below > lo && below < hi)) break;
    }
  }
  // Bounds that no value splits any more hold one value only (ties): it is the answer.
  if (countHi - countLo > LIST_BELOW) return { value: hi, last };
  return { value: listedRank(a, b, lo, hi, k - countLo), last };
}

/** How many differences are at most d1, and at most d2 (d1 ≤ d2), in one sweep. */
function countAtMost(a: Float64Array, b: Float64Array, d1: number, d2: number): [number, number] {
  let count1 = 0;
  let count2 = 0;
  let j1 = b.length;
  let j2 = b.length;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    while (j1 > 0 && ai - b[j1 - 1] > d1) j1--;
    while (j2 > 0 && ai - b[j2 - 1] > d2) j2--;
    count1 += j1;
    count2 += j2;
  }
  return [count1, count2];
}

/** The smallest difference above d (Infinity when none): where a run of ties begins. */
function smallestAbove(a: Float64Array, b: Float64Array, d: number): number {
  let smallest = Number.POSITIVE_INFINITY;
  let j = b.length;
  for (let i = 0; i < a.length; i++) {
    while (j > 0 && a[i] - b[j - 1] > d) j--;
    if (j < b.length && a[i] - b[j] < smallest) smallest = a[i] - b[j];
  }
  return smallest;
}

/** The r-th smallest (1-based) of the differences in (lo, hi]. */
function listedRank(a: Float64Array, b: Float64Array, lo: number, hi: number, r: number): number {
  const listed = new Float64Array(LIST_BELOW);
  let length = 0;
  let jLo = b.length;
  let jHi = b.length;
  for (let i = 0; i < a.length; i++) {
    while (jLo > 0 && a[i] - b[jLo - 1] > lo) jLo--;
    while (jHi > 0 && a[i] - b[jHi - 1] > hi) jHi--;
    for (let j = jLo; j < jHi; j++) listed[length++] = a[i] - b[j];
  }
  return listed.subarray(0, length).sort()[r - 1];
}
