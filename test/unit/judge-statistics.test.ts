import reference from '../fixtures/statistics-reference.json';
import { hodgesLehmann } from '../../src/policy/statistics/hodges-lehmann';
import { mannWhitney } from '../../src/policy/statistics/mann-whitney';
import { normalCdf, normalQuantile } from '../../src/policy/statistics/normal';
import { compareProportions, fisherExact } from '../../src/policy/statistics/proportions';
import { quantileInterval } from '../../src/policy/statistics/quantile-interval';
import { cleanSamples } from '../../src/policy/statistics/samples';

/**
 * The judge's statistics against reference values computed by SciPy and NumPy
 * (test/fixtures/statistics-reference.json, written by scripts/statistics-reference.py;
 * its `source` says which versions).
 */
const sorted = (values: number[]) => Float64Array.from(values).sort();
const close = (actual: number, expected: number, relative: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.max(Math.abs(expected), 1e-12));

test('the reference was made by SciPy', () => {
  expect(reference.source).toMatch(/^SciPy 1\.\d+\.\d+, NumPy \d/);
});

describe('the standard normal distribution', () => {
  test.each(reference.normal.cdf)('Φ(%d) as scipy.stats.norm.cdf', (x, expected) => close(normalCdf(x), expected, 2e-7));
  test.each(reference.normal.quantile)('Φ⁻¹(%d) as scipy.stats.norm.ppf', (p, expected) => close(normalQuantile(p), expected, 1e-8));
  test('a probability outside (0, 1) has no quantile', () => {
    expect(() => normalQuantile(1)).toThrow(/p must be between 0 and 1, got 1/);
  });
});

describe.each(reference.samples.map((c) => [c.name, c] as const))('samples "%s"', (_name, c) => {
  const [canary, stable] = [sorted(c.canary), sorted(c.stable)];
  test('Mann-Whitney U and its two-sided p-value as scipy.stats.mannwhitneyu (asymptotic, continuity)', () => {
    const mw = mannWhitney(canary, stable);
    expect(mw.u).toBeCloseTo(c.mannWhitney.u, 9);
    close(mw.pValue, c.mannWhitney.pValue, 1e-6);
  });
  test('the Hodges–Lehmann shift and its 95 % interval as NumPy over every pairwise difference', () => {
    expect(hodgesLehmann(canary, stable, 0.95)).toEqual({ ...c.hodgesLehmann, confidence: 0.95 });
  });
  test("the 99th percentile as numpy.quantile(method='inverted_cdf')", () => {
    expect(quantileInterval(canary, 0.99).estimate).toBe(c.quantile99);
  });
});

describe('proportions', () => {
  test.each(reference.proportions.map((p) => [`${p.canary.events}/${p.canary.trials} vs ${p.stable.events}/${p.stable.trials}`, p] as const))(
    '%s: the z-test as chi2_contingency(correction=False), Fisher as scipy.stats.fisher_exact',
    (_name, p) => {
      close(fisherExact(p.canary, p.stable), p.fisherPValue, 1e-6);
      const test = compareProportions(p.canary, p.stable);
      if (test.test === 'z-test' && p.canary.events + p.stable.events > 0) close(test.pValue, p.zTestPValue, 1e-6);
      if (test.test === 'fisher-exact') close(test.pValue, p.fisherPValue, 1e-6);
    },
  );
  test('sparse tables (an expected count below 5) use the exact test, dense ones the z-test', () => {
    expect(compareProportions({ events: 2, trials: 1000 }, { events: 1, trials: 1000 }).test).toBe('fisher-exact');
    expect(compareProportions({ events: 55, trials: 5000 }, { events: 50, trials: 5000 }).test).toBe('z-test');
  });
});

describe('the Hodges–Lehmann selection on samples too large to list', () => {
  test('agrees with every pairwise difference sorted, on 300 × 250 values with ties', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const canary = sorted(Array.from({ length: 300 }, () => Math.round(next() * 500) / 10));
    const stable = sorted(Array.from({ length: 250 }, () => Math.round(next() * 450) / 10));
    const all: number[] = [];
    for (const a of canary) for (const b of stable) all.push(a - b);
    all.sort((x, y) => x - y);
    const hl = hodgesLehmann(canary, stable);
    const pairs = all.length;
    expect(hl.estimate).toBeCloseTo((all[pairs / 2 - 1] + all[pairs / 2]) / 2, 9);
    const k = Math.round(pairs / 2 - normalQuantile(0.975) * Math.sqrt((pairs * (300 + 250 + 1)) / 12));
    expect([hl.lower, hl.upper]).toEqual([all[k - 1], all[pairs - k]]);
  });
});

describe('cleaning samples', () => {
  test('NaN, infinities and negatives are dropped and counted; Tukey fences drop outliers when asked', () => {
    const clean = cleanSamples([3, Number.NaN, 1, -2, Number.POSITIVE_INFINITY, 2, 2, 3, 100]);
    expect({ ...clean, sorted: [...clean.sorted] }).toEqual({ sorted: [1, 2, 2, 3, 3, 100], notANumber: 2, negative: 1, outliers: 0 });
    const trimmed = cleanSamples([1, 2, 2, 3, 3, 100], { removeOutliers: true });
    expect({ sorted: [...trimmed.sorted], outliers: trimmed.outliers }).toEqual({ sorted: [1, 2, 2, 3, 3], outliers: 1 });
  });
});

describe('heavy ties (integer-valued metrics)', () => {
  test('on 4,000 × 3,000 values from 0 to 5 the shift and its interval are exact, found without listing the ties', () => {
    let seed = 11;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const canary = sorted(Array.from({ length: 4000 }, () => Math.floor(next() * 6)));
    const stable = sorted(Array.from({ length: 3000 }, () => Math.floor(next() * 5)));
    // Every difference is an integer from -4 to 5: count each exactly from the two histograms.
    const histogram = (values: Float64Array) => values.reduce((h, v) => ((h[v] = (h[v] ?? 0) + 1), h), [] as number[]);
    const [hc, hs] = [histogram(canary), histogram(stable)];
    const differences = new Map<number, number>();
    hc.forEach((nc, c) => hs.forEach((ns, s) => differences.set(c - s, (differences.get(c - s) ?? 0) + nc * ns)));
    const ordered = [...differences.entries()].sort(([x], [y]) => x - y);
    const ofRank = (k: number) => {
      let seen = 0;
      for (const [value, count] of ordered) if ((seen += count) >= k) return value;
      throw new Error(`no rank ${k}`);
    };
    const pairs = 4000 * 3000;
    const k = Math.round(pairs / 2 - normalQuantile(0.975) * Math.sqrt((pairs * (4000 + 3000 + 1)) / 12));
    expect(hodgesLehmann(canary, stable)).toEqual({ estimate: (ofRank(pairs / 2) + ofRank(pairs / 2 + 1)) / 2, lower: ofRank(k), upper: ofRank(pairs - k + 1), confidence: 0.95 });
  });
});
