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
  const differences = pairwiseDifferences(canary, stable);
  // Every count made is kept: it bounds the later ranks and predicts where they lie.
  const known: Cut[] = [];
  const select = (k: number) => selectDifference(differences, k, known);
  let estimate: number;
  if (pairs % 2 === 1) estimate = select((pairs + 1) / 2).value;
  else {
    // The two middle ranks are adjacent: the bounds that find the first nearly always hold the second.
    const middle = select(pairs / 2);
    estimate = (middle.value + (middle.following ?? select(pairs / 2 + 1).value)) / 2;
  }
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const k = Math.max(1, Math.round(pairs / 2 - z * Math.sqrt((pairs * (n + m + 1)) / 12)));
  return { estimate, lower: select(k).value, upper: select(pairs - k + 1).value, confidence };
}

/**
 * Every a[i] − b[j] (a the canary, b stable, both ascending), as rows: row i is a[i] − b[j]
 * for j = 0 … m − 1, descending in j. Each array ends in +Infinity, a sentinel that lets
 * `countAtMost` merge them without testing for their ends.
 */
interface PairwiseDifferences {
  a: Float64Array;
  b: Float64Array;
  n: number;
  m: number;
}

function pairwiseDifferences(canary: Float64Array, stable: Float64Array): PairwiseDifferences {
  const withSentinel = (values: Float64Array) => {
    const padded = new Float64Array(values.length + 1);
    padded.set(values);
    padded[values.length] = Number.POSITIVE_INFINITY;
    return padded;
  };
  return { a: withSentinel(canary), b: withSentinel(stable), n: canary.length, m: stable.length };
}

/**
 * A value and how many differences are at most it, with where in each row they begin:
 * `rows[i]` is the first j with a[i] − b[j] ≤ value, so row i counts m − rows[i]. Between
 * two cuts, row i's differences are j from the upper cut's rows[i] to the lower's: a count
 * for a value between them looks only there (`countBetween`), and so does the listing.
 */
interface Cut {
  value: number;
  count: number;
  rows: Int32Array;
}

/** Two close values counted in one sweep. */
interface Sweep {
  below: Cut;
  above: Cut;
}

/** Once this few differences lie between the bounds, they are listed and sorted. */
const LIST_BELOW = 1024;
/**
 * Bounds holding at most this many differences a row (on average) are counted between
 * their cuts, row by row; wider ones by merging the whole samples. Row by row costs a
 * mispredicted branch wherever a row holds some, so it pays only when most hold none.
 */
const ROWS_BETWEEN_PER_ROW = 0.5;
/**
 * A prediction carried this many ranks misses by about this fraction of them: what the
 * first aim from a count allows for, on each side.
 */
const FIRST_MISS = 1 / 16;

/**
 * The k-th smallest (1-based) of the differences, with the (k+1)-th when the same bounds
 * hold it (`following`). Each round interpolates two values expected just below and just
 * above rank k, and counts both in one sweep; the bounds (lo, hi] close on both sides at
 * once (a few rounds for the samples a canary has), with bisection when interpolation
 * gains little; then the few differences left between them are listed. `known`, the
 * cuts already counted for other ranks, gives the first bounds and the first aim; this
 * selection's cuts are added to it.
 */
function selectDifference(differences: PairwiseDifferences, k: number, known: Cut[]): { value: number; following?: number } {
  const { a, b, n, m } = differences;
  // (lo, hi] holds every difference: lo just below the smallest, hi the largest; or the
  // closest cuts already known on either side of rank k.
  const smallest = a[0] - b[m - 1];
  let lo: Cut = { value: smallest - Math.max(1, Math.abs(smallest)) * 1e-9, count: 0, rows: new Int32Array(n).fill(m) };
  let hi: Cut = { value: a[n - 1] - b[0], count: n * m, rows: new Int32Array(n) };
  for (const cut of known) {
    if (cut.count < k && cut.value > lo.value) lo = cut;
    if (cut.count >= k && cut.value < hi.value) hi = cut;
  }
  const margin = LIST_BELOW / 4;
  // Each sweep counts two close values: the slope between them predicts where the ranks
  // around k lie (a secant step), aimed on both sides of k by the last prediction's miss.
  // The first pair comes from the known cuts, or sits at the medians' difference; a
  // prediction that missed by more than a quarter of what is left gives way to halving
  // the bounds.
  let below = a[n >> 1] - b[m >> 1];
  let above = below + (hi.value - lo.value) / 4096;
  let aimedAt: number | undefined;
  const basis = secantBasis(known, k);
  if (basis) {
    const slope = (basis.far.count - basis.near.count) / (basis.far.value - basis.near.value);
    const reach = margin + FIRST_MISS * Math.abs(k - basis.near.count);
    aimedAt = k - reach;
    [below, above] = [basis.near.value + (k - reach - basis.near.count) / slope, basis.near.value + (k + reach - basis.near.count) / slope];
  }
  let miss = 0;
  // The smallest difference above lo: where a flat count (ties) is stepped over.
  let nextAfterLo = smallest;
  let exact = false;
  let stalls = 0;
  let lastWidth = Number.NaN;
  for (;;) {
    // Aims beyond the bounds stop just inside them (what lies beyond is known).
    const edge = (hi.value - lo.value) / 1e6;
    [below, above] = [Math.min(Math.max(below, lo.value + edge), hi.value - edge), Math.min(Math.max(above, lo.value + edge), hi.value - edge)];
    if (exact) [below, above] = [nextAfterLo, nextAfterLo];
    else if (!(below > lo.value && above < hi.value && below <= above)) [below, above, aimedAt] = [lo.value + (hi.value - lo.value) / 2, lo.value + (hi.value - lo.value) / 2, undefined];
    const sweep = hi.count - lo.count <= ROWS_BETWEEN_PER_ROW * n ? countBetween(differences, lo, hi, below, above) : countAtMost(differences, below, above);
    known.push(sweep.below, sweep.above);
    const [countBelow, countAbove] = [sweep.below.count, sweep.above.count];
    // Nothing lies between lo and a difference that reaches rank k: it is the answer.
    if (exact && countBelow >= k) return { value: nextAfterLo, ...(countBelow > k ? { following: nextAfterLo } : {}) };
    if (aimedAt !== undefined) miss = Math.abs(countBelow - aimedAt);
    if (countBelow >= k) hi = sweep.below;
    else {
      lo = sweep.below;
      if (countAbove >= k) hi = sweep.above;
      else lo = sweep.above;
    }
    const width = hi.count - lo.count;
    if (width <= LIST_BELOW) break;
    const slope = countAbove > countBelow ? (countAbove - countBelow) / (above - below) : 0;
    // Rounds that narrow the values but not the count: a run of ties at hi. Step to the
    // next difference itself, whose count says whether it is the answer.
    stalls = width === lastWidth ? stalls + 1 : 0;
    lastWidth = width;
    if (stalls >= 2) nextAfterLo = smallestAbove(differences, lo, hi);
    exact = stalls >= 2 && nextAfterLo > lo.value && nextAfterLo < hi.value;
    if (exact) continue;
    if (slope > 0 && (aimedAt === undefined || miss < width / 4)) {
      // Wide enough for the last miss (or, first, for how far the prediction carries),
      // never wider than a quarter of what is left.
      const reach = margin + Math.min(aimedAt === undefined ? FIRST_MISS * Math.abs(k - countBelow) : 2 * miss, width / 4);
      aimedAt = k - reach;
      [below, above] = [below + (k - reach - countBelow) / slope, below + (k + reach - countBelow) / slope];
    } else {
      below = lo.value + (hi.value - lo.value) / 2;
      above = below + (hi.value - lo.value) / 4096;
      aimedAt = undefined;
      // Bounds no value splits any more.
      if (!(below > lo.value && below < hi.value)) break;
    }
  }
  // Bounds that no value splits any more hold one value only (ties): it is the answer.
  if (hi.count - lo.count > LIST_BELOW) return { value: hi.value, ...(hi.count > k ? { following: hi.value } : {}) };
  const listed = listBetween(differences, lo, hi);
  return { value: listed[k - lo.count - 1], ...(hi.count > k ? { following: listed[k - lo.count] } : {}) };
}

/**
 * Two known cuts to predict rank k from: the one whose count is closest to k, and one
 * far enough from it that the slope between them holds over the distance to k (a slope
 * across a narrow pair is mostly noise, and carried far it misses by more).
 */
function secantBasis(known: readonly Cut[], k: number): { near: Cut; far: Cut } | undefined {
  if (known.length < 2) return undefined;
  const byDistance = [...known].sort((x, y) => Math.abs(x.count - k) - Math.abs(y.count - k));
  const near = byDistance[0];
  const apart = (cut: Cut) => cut.count !== near.count && cut.value !== near.value;
  const far = byDistance.find((cut) => apart(cut) && Math.abs(cut.count - near.count) >= Math.abs(k - near.count) / 2) ?? byDistance.filter(apart).pop();
  return far ? { near, far } : undefined;
}

/**
 * How many differences are at most d1, and at most d2 (d1 ≤ d2), in one merge of the two
 * samples, O(n + m). Each step compares a[i] with b[j]: a difference at most d counts
 * a[i] against every b from j on (larger b, smaller differences) and moves to a[i + 1];
 * one above it leaves b[j] out of every later row and moves to b[j + 1]. The step is
 * arithmetic rather than a branch (which way it goes is as good as random, so a branch
 * would be mispredicted half the time), and the two merges interleave so that neither
 * waits on its own loads: three times faster than walking a pointer per row.
 */
function countAtMost(differences: PairwiseDifferences, d1: number, d2: number): Sweep {
  const { a, b, n, m } = differences;
  // Row n, the sentinel's, is written too: it saves a test in the loop.
  const rows1 = new Int32Array(n + 1);
  const rows2 = new Int32Array(n + 1);
  let [i1, j1, count1, i2, j2, count2] = [0, 0, 0, 0, 0, 0];
  // Every step moves one of i, j: after n + m both are past their last value, and the
  // sentinels keep either from running past its end before (∞ − b[j] is above any d,
  // a[i] − ∞ below).
  for (let step = n + m; step > 0; step--) {
    const take1 = Number(a[i1] - b[j1] <= d1);
    const take2 = Number(a[i2] - b[j2] <= d2);
    rows1[i1] = j1;
    rows2[i2] = j2;
    count1 += take1 * (m - j1);
    count2 += take2 * (m - j2);
    i1 += take1;
    i2 += take2;
    j1 += 1 - take1;
    j2 += 1 - take2;
  }
  return { below: { value: d1, count: count1, rows: rows1 }, above: { value: d2, count: count2, rows: rows2 } };
}

/**
 * The same counts for d1 ≤ d2 inside (lo, hi]: row i's count for them begins between
 * hi.rows[i] and lo.rows[i], a few differences apart once the bounds are close.
 */
function countBetween(differences: PairwiseDifferences, lo: Cut, hi: Cut, d1: number, d2: number): Sweep {
  const { a, b, n, m } = differences;
  const [starts, ends] = [hi.rows, lo.rows];
  const rows1 = new Int32Array(n);
  const rows2 = new Int32Array(n);
  let count1 = 0;
  let count2 = 0;
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    const start = starts[i];
    let j1 = start;
    const end = ends[i];
    while (j1 < end && ai - b[j1] > d1) j1++;
    // d2 ≥ d1: its count begins no later than d1's.
    let j2 = start;
    while (j2 < j1 && ai - b[j2] > d2) j2++;
    rows1[i] = j1;
    rows2[i] = j2;
    count1 += m - j1;
    count2 += m - j2;
  }
  return { below: { value: d1, count: count1, rows: rows1 }, above: { value: d2, count: count2, rows: rows2 } };
}

/** The smallest difference in (lo, hi], or Infinity when none: where a run of ties begins. */
function smallestAbove(differences: PairwiseDifferences, lo: Cut, hi: Cut): number {
  const { a, b, n } = differences;
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    // Row i descends: its smallest difference above lo is the one just before lo's cut.
    const j = lo.rows[i] - 1;
    if (j >= hi.rows[i] && a[i] - b[j] < smallest) smallest = a[i] - b[j];
  }
  return smallest;
}

/** Every difference in (lo, hi], ascending. */
function listBetween(differences: PairwiseDifferences, lo: Cut, hi: Cut): Float64Array {
  const { a, b, n } = differences;
  const listed = new Float64Array(hi.count - lo.count);
  let length = 0;
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    for (let j = hi.rows[i], end = lo.rows[i]; j < end; j++) listed[length++] = ai - b[j];
  }
  return listed.sort();
}
