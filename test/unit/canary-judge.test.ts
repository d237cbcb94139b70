import { type JudgeConfig, type MetricConfig, judgeCanary, judgeConfigProblems, judgeMetric } from '../../src/policy/canary-judge';

/** A seeded generator, so every property below is checked on the same samples each run. */
function generator(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (mean: number, sd: number) => mean + sd * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal, latencies: (n: number, median: number) => Array.from({ length: n }, () => median * Math.exp(normal(0, 0.3))) };
}

const latency: MetricConfig = { name: 'latency', kind: 'values', group: 'latency', direction: 'increase', tolerance: 0.1, tailQuantile: 0.99, noData: 'ignore' };
const errors: MetricConfig = { name: 'errors', kind: 'counts', group: 'errors', direction: 'increase', tolerance: 0.2, critical: true, noData: 'fail' };
const success: MetricConfig = { name: 'success', kind: 'counts', group: 'errors', direction: 'decrease', tolerance: 0.01, noData: 'ignore' };
const config: JudgeConfig = { metrics: [latency, errors], groups: { errors: 60, latency: 40 }, thresholds: { pass: 95, marginal: 50 }, alpha: 0.05 };

describe('properties of the judge', () => {
  test('identical samples pass, with the figures that say so', () => {
    const values = generator(1).latencies(500, 40);
    const judged = judgeMetric(latency, { kind: 'values', canary: values, stable: [...values] }, 0.05);
    expect({ classification: judged.classification, verdict: judged.verdict, p: judged.mannWhitney?.pValue, shift: judged.shift?.estimate }).toEqual({ classification: 'pass', verdict: 'pass', p: 1, shift: 0 });
    expect(judged.explanation).toMatch(/^no meaningful difference: shift 0 \(0 % of stable's median [\d.]+; 95 % CI -?[\d.]+ to [\d.]+\); Mann-Whitney p = 1\.0; p99 /);
  });

  test('samples that are all equal pass (no spread is no evidence)', () => {
    const judged = judgeMetric(latency, { kind: 'values', canary: Array(50).fill(12), stable: Array(40).fill(12) }, 0.05);
    expect(judged.verdict).toBe('pass');
  });

  test('a canary 20 % slower fails, with its shift, interval and p-value', () => {
    const g = generator(2);
    const judged = judgeMetric(latency, { kind: 'values', canary: g.latencies(400, 48), stable: g.latencies(400, 40) }, 0.05);
    expect(judged.classification).toBe('high');
    expect(judged.verdict).toBe('fail');
    expect(judged.shift!.relative).toBeGreaterThan(0.1);
    expect(judged.shift!.lower).toBeGreaterThan(0);
    expect(judged.mannWhitney!.pValue).toBeLessThan(1e-6);
    expect(judged.explanation).toMatch(/^canary higher: shift \+[\d.]+ \([\d.]+ % of stable's median [\d.]+; 95 % CI [\d.]+ to [\d.]+\); Mann-Whitney p = [\d.]+e-\d+/);
  });

  test('a canary 3 % slower is within the 10 % tolerance: significant or not, it passes', () => {
    const g = generator(3);
    const judged = judgeMetric({ ...latency, tailQuantile: undefined }, { kind: 'values', canary: g.latencies(2000, 41.2), stable: g.latencies(2000, 40) }, 0.05);
    expect(judged.verdict).toBe('pass');
  });

  test('the same median with a heavy tail passes the rank test but fails the tail test', () => {
    const g = generator(4);
    const stable = g.latencies(3000, 40);
    // 3 % of the canary's requests take 8 times as long: the median barely moves.
    const canary = g.latencies(3000, 40).map((v) => (g.uniform() < 0.03 ? v * 8 : v));
    const judged = judgeMetric(latency, { kind: 'values', canary, stable }, 0.05);
    expect(Math.abs(judged.shift!.relative)).toBeLessThan(0.1);
    expect(judged.classification).toBe('high');
    expect(judged.tail!.canary.lower).toBeGreaterThan(judged.tail!.stable.upper);
    // Without the tail comparison the same samples pass: that is the blind spot it closes.
    expect(judgeMetric({ ...latency, tailQuantile: undefined }, { kind: 'values', canary, stable }, 0.05).verdict).toBe('pass');
  });

  test('0.1 % → 0.2 % errors on 100,000 requests each fails the proportion test', () => {
    const judged = judgeMetric(errors, { kind: 'counts', canary: { events: 200, trials: 100_000 }, stable: { events: 100, trials: 100_000 } }, 0.05);
    expect(judged.verdict).toBe('fail');
    expect(judged.proportions).toMatchObject({ test: 'z-test', ratio: 2 });
    expect(judged.proportions!.pValue).toBeLessThan(1e-6);
    expect(judged.explanation).toBe('canary higher: 200/100000 (0.2 %) vs 100/100000 (0.1 %), ×2; two-proportion z p = ' + judged.explanation.split('p = ')[1]);
  });

  test('a sparse error metric (mostly zeros) is judged by its counts: 6 errors against none fails', () => {
    const judged = judgeMetric(errors, { kind: 'counts', canary: { events: 6, trials: 2000 }, stable: { events: 0, trials: 2000 } }, 0.05);
    expect({ verdict: judged.verdict, test: judged.proportions?.test }).toEqual({ verdict: 'fail', test: 'fisher-exact' });
    expect(judged.explanation).toMatch(/6\/2000 \(0\.3 %\) vs 0\/2000 \(0 %\), stable had none; Fisher's exact p = 0\.031/);
  });

  test('the same error rate passes', () => {
    expect(judgeMetric(errors, { kind: 'counts', canary: { events: 51, trials: 5000 }, stable: { events: 50, trials: 5000 } }, 0.05).verdict).toBe('pass');
  });

  test('direction: a success rate that falls fails; one that rises passes', () => {
    const lower = judgeMetric(success, { kind: 'counts', canary: { events: 9_500, trials: 10_000 }, stable: { events: 9_990, trials: 10_000 } }, 0.05);
    const higher = judgeMetric(success, { kind: 'counts', canary: { events: 9_990, trials: 10_000 }, stable: { events: 9_500, trials: 10_000 } }, 0.05);
    expect([lower.classification, lower.verdict, higher.classification, higher.verdict]).toEqual(['low', 'fail', 'high', 'pass']);
  });

  test('too few samples on a side is no data; NaN and negative values are dropped and counted', () => {
    const judged = judgeMetric(latency, { kind: 'values', canary: [1, 2, Number.NaN, -1, 3], stable: generator(5).latencies(50, 40) }, 0.05);
    expect(judged).toMatchObject({ classification: 'nodata', verdict: 'nodata', samples: { canary: 3, stable: 50 } });
    expect(judged.explanation).toBe('not enough samples: canary 3, stable 50 (at least 10 each)');
  });
});

describe('scoring a canary', () => {
  const g = generator(6);
  const same = () => ({ kind: 'values' as const, canary: g.latencies(300, 40), stable: g.latencies(300, 40) });
  const slower = () => ({ kind: 'values' as const, canary: g.latencies(300, 60), stable: g.latencies(300, 40) });
  const fine = { kind: 'counts' as const, canary: { events: 5, trials: 5000 }, stable: { events: 5, trials: 5000 } };
  const failing = { kind: 'counts' as const, canary: { events: 150, trials: 5000 }, stable: { events: 5, trials: 5000 } };

  test('everything the same: pass, score 100', () => {
    const judged = judgeCanary(config, { latency: same(), errors: fine });
    expect({ verdict: judged.verdict, score: judged.score }).toEqual({ verdict: 'pass', score: 100 });
    expect(judged.summary).toBe('pass: score 100 (pass ≥ 95, marginal ≥ 50)');
  });

  test('slower but no more errors: the latency group (weight 40) fails, score 60: marginal, a person decides', () => {
    const judged = judgeCanary(config, { latency: slower(), errors: fine });
    expect({ verdict: judged.verdict, score: judged.score }).toEqual({ verdict: 'marginal', score: 60 });
    expect(judged.summary).toMatch(/^marginal: score 60 \(pass ≥ 95, marginal ≥ 50\) — latency canary higher: shift \+/);
  });

  test('a critical metric that fails fails the canary whatever the score', () => {
    const judged = judgeCanary({ ...config, groups: { errors: 10, latency: 90 } }, { latency: same(), errors: failing });
    expect(judged.verdict).toBe('fail');
    expect(judged.summary).toMatch(/^fail: critical metric errors failed — errors \(critical\) canary higher: 150\/5000 \(3 %\) vs 5\/5000 \(0\.1 %\), ×30/);
  });

  test('no data: the policy of each metric decides, and no data at all is marginal', () => {
    // errors says no data fails (and it is critical); latency says ignore.
    expect(judgeCanary(config, { latency: same() }).verdict).toBe('fail');
    const lenient: JudgeConfig = { ...config, metrics: [latency, { ...errors, noData: 'ignore' }] };
    const nothing = judgeCanary(lenient, {});
    expect({ verdict: nothing.verdict, score: nothing.score, summary: nothing.summary }).toEqual({ verdict: 'marginal', score: undefined, summary: 'marginal: no metric had data' });
    expect(judgeCanary(lenient, { latency: same() })).toMatchObject({ verdict: 'pass', score: 100 });
  });
});

describe('bad judge configuration names the field and the fix', () => {
  test.each([
    ['marginal above pass', { thresholds: { pass: 70, marginal: 80 } }, 'judge.thresholds: marginal (80) is above pass (70); a score cannot be marginal above the pass mark — make marginal ≤ pass'],
    ['a threshold out of range', { thresholds: { pass: 120, marginal: 50 } }, 'judge.thresholds.pass: 120 is not a score from 0 to 100'],
    ['weights that do not sum to 100', { groups: { errors: 60, latency: 60 } }, 'judge.groups: the weights sum to 120, not 100; make them shares of 100 (e.g. errors: 60, latency: 40)'],
    ['a weight of 0', { groups: { errors: 100, latency: 0 } }, 'judge.groups.latency: weight 0 must be above 0 (drop the group to leave it out)'],
    ['alpha of 1', { alpha: 1 }, 'judge.alpha: 1 is not a significance level; use a value between 0 and 0.5, e.g. 0.05'],
    ['a metric in no group', { metrics: [{ ...latency, group: 'speed' }, errors] }, 'judge.metrics[0].group: speed is not a group; declare it under judge.groups (has errors, latency)'],
    ['a negative tolerance', { metrics: [latency, { ...errors, tolerance: -0.1 }] }, 'judge.metrics[1].tolerance: -0.1 must be 0 or more (0.1 tolerates a 10 % change)'],
    ['a tail quantile that is no tail', { metrics: [{ ...latency, tailQuantile: 0.3 }, errors] }, 'judge.metrics[0].tailQuantile: 0.3 is not a tail quantile; use e.g. 0.95 or 0.99'],
    ['a metric twice', { metrics: [latency, errors, latency] }, 'judge.metrics[2].name: latency is judged twice; give each metric one entry'],
  ] as const)('%s', (_what, change, message) => {
    expect(judgeConfigProblems({ ...config, ...change } as JudgeConfig)).toEqual([message]);
  });
  test('a sound configuration has no problems', () => {
    expect(judgeConfigProblems(config)).toEqual([]);
  });
});
