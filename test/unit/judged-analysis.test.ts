import { JudgeSettingsSchema } from '../../src/config/judge-settings';
import { AnalysisSchema } from '../../src/config/progressive-delivery';
import type { Measurement } from '../../src/contracts/measurements';
import { expandHistogram, judgeCheck, judgeConfigOf } from '../../src/policy/judged-analysis';
import { judgeConfigProblems } from '../../src/policy/canary-judge';

const settings = JudgeSettingsSchema.parse({});

/** A window of `requests` requests, `errors` of them failed, latencies spread as `histogram`. */
function window(requests: number, errors: number, histogram: Array<[number, number]>): Measurement {
  return { kind: 'value', requests, errors, errorRate: errors / requests, latencyMs: { p99: histogram.at(-1)?.[0] }, latencyHistogram: histogram };
}

const latencies = (center: number, total: number): Array<[number, number]> => {
  // A spread around `center`: 10 buckets, the middle ones fullest.
  const weights = [1, 2, 4, 8, 10, 10, 8, 4, 2, 1];
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w, i) => [Number((center * (0.8 + 0.04 * i)).toFixed(2)), Math.round((w / sum) * total)]);
};

describe('judgeCheck: one soak check by the statistical judge', () => {
  test('a canary like stable passes, with a figure line per metric', () => {
    const judged = judgeCheck(window(1000, 2, latencies(20, 1000)), window(19000, 40, latencies(20, 19000)), settings);
    expect(judged.result.verdict).toBe('pass');
    expect(judged.decision).toBeUndefined();
    expect(judged.judgement?.score).toBe(100);
    expect(judged.result.checks.map((c) => [c.metric, c.verdict])).toEqual([
      ['errorRate', 'pass'],
      ['latencyP99', 'pass'],
    ]);
  });

  test('errors well above stable fail the critical errors metric: rollback at once', () => {
    const judged = judgeCheck(window(1000, 300, latencies(20, 1000)), window(19000, 19, latencies(20, 19000)), settings);
    expect(judged.result.verdict).toBe('fail');
    expect(judged.decision).toBe('rollback');
    expect(judged.result.summary).toMatch(/^fail: critical metric errors failed — errors \(critical\) canary higher: 300\/1000 \(30 %\)/);
  });

  test('slower but not failing: latency fails, the score (60) is marginal, so a person decides', () => {
    const judged = judgeCheck(window(1000, 1, latencies(60, 1000)), window(19000, 19, latencies(20, 19000)), settings);
    expect(judged.judgement?.verdict).toBe('marginal');
    expect(judged.judgement?.score).toBe(60);
    expect(judged.result.verdict).toBe('inconclusive');
    expect(judged.decision).toBe('pause');
  });

  test('too little traffic for any metric: inconclusive, left to the tally of checks (no pause of its own)', () => {
    const judged = judgeCheck(window(10, 0, latencies(20, 10)), window(40, 0, latencies(20, 40)), settings);
    expect(judged.result.verdict).toBe('inconclusive');
    expect(judged.decision).toBeUndefined();
    expect(judged.result.summary).toMatch(/no metric had data/);
  });

  test('a window without a latency histogram judges errors alone (latency has no data and is left out)', () => {
    const plain: Measurement = { kind: 'value', requests: 1000, errors: 1, errorRate: 0.001, latencyMs: { p99: 20 } };
    const judged = judgeCheck(plain, { ...plain, requests: 19000, errors: 19, errorRate: 0.001 }, settings);
    expect(judged.result.verdict).toBe('pass');
    expect(judged.judgement?.metrics.find((m) => m.name === 'latency')?.verdict).toBe('nodata');
  });

  test('an unmeasured side is inconclusive, never a pass', () => {
    expect(judgeCheck({ kind: 'unreachable', reason: 'router down' }, window(100, 0, latencies(20, 100)), settings).result).toMatchObject({
      verdict: 'inconclusive',
      summary: 'no measurement of the new version: metrics unreachable: router down',
    });
    expect(judgeCheck(window(100, 0, latencies(20, 100)), { kind: 'noData', reason: 'nothing served' }, settings).result.summary).toBe(
      'no measurement of stable (no data: nothing served)',
    );
    expect(judgeCheck(window(100, 0, latencies(20, 100)), undefined, settings).result.verdict).toBe('inconclusive');
  });
});

describe('expandHistogram', () => {
  test('each bucket becomes that many values; a busy window is thinned in proportion', () => {
    expect(expandHistogram([[1.5, 2], [3, 1]])).toEqual([1.5, 1.5, 3]);
    const thinned = expandHistogram([[1, 30_000], [2, 10_000]], 4_000);
    expect(thinned).toHaveLength(4_000);
    expect(thinned.filter((v) => v === 2)).toHaveLength(1_000);
  });
});

describe('analysis.judge in the catalogue', () => {
  test('defaults make a valid judge: errors critical, latency with a p99 tail, the early stop on', () => {
    const config = judgeConfigOf(settings);
    expect(judgeConfigProblems(config)).toEqual([]);
    expect(config.metrics.map((m) => [m.name, m.kind, m.critical])).toEqual([
      ['errors', 'counts', true],
      ['latency', 'values', false],
    ]);
    expect(settings.earlyStop).toEqual({ alpha: 0.01, tolerance: 0.5, every: 500 });
  });

  test('a group of weight 0 leaves its metric out', () => {
    const config = judgeConfigOf(JudgeSettingsSchema.parse({ groups: { errors: 100, latency: 0 } }));
    expect(config.metrics.map((m) => m.name)).toEqual(['errors']);
    expect(config.groups).toEqual({ errors: 100 });
  });

  test.each([
    [{ thresholds: { pass: 70, marginal: 80 } }, 'judge.thresholds.marginal', /marginal \(80\) is above pass \(70\)/],
    [{ groups: { errors: 50, latency: 30 } }, 'judge.groups', /the weights sum to 80, not 100/],
    [{ alpha: 0.7 }, 'judge.alpha', /<0.5/],
    [{ latency: { tailQuantile: 0.3 } }, 'judge.latency.tailQuantile', />0.5/],
    [{ errors: { tolerance: -1 } }, 'judge.errors.tolerance', />=0/],
    [{ earlyStop: { alpha: 0 } }, 'judge.earlyStop.alpha', />0/],
    [{ metric: 'cpu' }, 'judge', /metric/],
  ])('%j is refused at %s', (judge, field, message) => {
    const parsed = AnalysisSchema.safeParse({ judge });
    expect(parsed.success).toBe(false);
    const issue = parsed.error!.issues[0]!;
    expect(issue.path.join('.')).toBe(field);
    expect(issue.message).toMatch(message);
  });
});
