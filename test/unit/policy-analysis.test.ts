import { AnalysisSchema, type AnalysisConfig } from '../../src/config/progressive-delivery';
import type { Measurement } from '../../src/contracts/measurements';
import { LATENCY_NOISE_MS, analyse, ms, percent, type Check } from '../../src/policy/analysis';

/** Defaults: error rate ≤ 1 %, p99 ≤ 1.25 × stable, at least 20 requests. */
const DEFAULTS: AnalysisConfig = AnalysisSchema.parse({});

const value = (requests: number, errors: number, p99?: number): Measurement => ({
  kind: 'value',
  requests,
  errors,
  errorRate: requests > 0 ? errors / requests : 0,
  latencyMs: p99 === undefined ? {} : { p50: p99 / 2, p99 },
});
const noData: Measurement = { kind: 'noData', reason: 'no requests to web 1.2.0 in the last 1m' };
const unreachable: Measurement = { kind: 'unreachable', reason: 'connect ECONNREFUSED 127.0.0.1:9090' };
const STABLE = value(4_000, 4, 180);

describe('analyse: the verdict and the summary that becomes the rollback reason', () => {
  test.each<[string, Measurement, Measurement | undefined, Partial<AnalysisConfig>, string, string | RegExp]>([
    ['a healthy canary', value(240, 1, 190), STABLE, {}, 'pass', '240 requests (need 20); error rate 0.417 % ≤ limit 1 %; p99 190 ms ≤ 1.25 × stable 180 ms = 225 ms'],
    ['errors above the limit', value(240, 18, 190), STABLE, {}, 'fail', 'error rate 7.5 % > limit 1 %'],
    ['an error rate exactly at the limit passes', value(200, 2, 190), STABLE, {}, 'pass', /error rate 1 % ≤ limit 1 %/],
    ['p99 above 1.25 × stable', value(240, 0, 412), STABLE, {}, 'fail', 'p99 412 ms > 1.25 × stable 180 ms = 225 ms'],
    ['p99 exactly 1.25 × stable passes', value(240, 0, 225), STABLE, {}, 'pass', /p99 225 ms ≤ 1\.25 × stable 180 ms = 225 ms/],
    ['both errors and latency', value(240, 18, 412), STABLE, {}, 'fail', 'error rate 7.5 % > limit 1 %; p99 412 ms > 1.25 × stable 180 ms = 225 ms'],
    ['p99 above the absolute limit, though close to stable', value(240, 0, 310), value(4_000, 0, 300), { maxLatencyP99Ms: 250 }, 'fail', 'p99 310 ms > limit 250 ms'],
    ['p99 under the absolute limit and under the ratio', value(240, 0, 200), STABLE, { maxLatencyP99Ms: 250 }, 'pass', /p99 200 ms ≤ limit 250 ms; p99 200 ms ≤ 1\.25/],
    ['too few requests', value(12, 12, 900), STABLE, {}, 'inconclusive', '12 requests, need 20'],
    ['no requests at all', value(0, 0), STABLE, {}, 'inconclusive', '0 requests, need 20'],
    ['a stricter minimum', value(40, 0, 100), STABLE, { minRequests: 50 }, 'inconclusive', '40 requests, need 50'],
    ['the canary has no data', noData, STABLE, {}, 'inconclusive', 'no measurement of the new version: no data: no requests to web 1.2.0 in the last 1m'],
    ['the metrics source is unreachable', unreachable, unreachable, {}, 'inconclusive', 'no measurement of the new version: metrics unreachable: connect ECONNREFUSED 127.0.0.1:9090'],
    ['requests but no p99', value(240, 0), STABLE, {}, 'inconclusive', 'no p99 latency for 240 requests'],
    ['no p99 but errors fail anyway', value(240, 18), STABLE, {}, 'fail', 'error rate 7.5 % > limit 1 %'],
  ])('%s', (_name, canary, stable, rules, verdict, summary) => {
    const result = analyse(canary, stable, { ...DEFAULTS, ...rules });
    expect(result.verdict).toBe(verdict);
    if (typeof summary === 'string') expect(result.summary).toBe(summary);
    else expect(result.summary).toMatch(summary);
  });
});

describe('analyse: the latency comparison needs a stable p99, and is skipped without one', () => {
  test.each<[string, Measurement | undefined, string]>([
    ['no stable version', undefined, 'p99 190 ms not compared: no stable version'],
    ['stable has no data (blue after a blue/green switch)', noData, 'p99 190 ms not compared: no measurement of stable (no data: no requests to web 1.2.0 in the last 1m)'],
    ['stable is unmeasurable', unreachable, 'p99 190 ms not compared: no measurement of stable (metrics unreachable: connect ECONNREFUSED 127.0.0.1:9090)'],
    ['stable served nothing', value(0, 0), 'p99 190 ms not compared: stable has no p99 latency (0 requests)'],
  ])('%s: the result rests on the error rate', (_name, stable, reason) => {
    const result = analyse(value(240, 0, 190), stable, DEFAULTS);
    expect(result.verdict).toBe('pass');
    expect(result.checks.find((check) => check.verdict === 'skipped')).toEqual({ metric: 'latencyP99', value: 190, verdict: 'skipped', reason });
    expect(analyse(value(240, 18, 190), stable, DEFAULTS).verdict).toBe('fail');
  });

  test('the absolute limit still applies without stable', () => {
    const result = analyse(value(240, 0, 412), undefined, { ...DEFAULTS, maxLatencyP99Ms: 300 });
    expect(result).toMatchObject({ verdict: 'fail', summary: 'p99 412 ms > limit 300 ms' });
  });
});

describe('analyse: differences under the noise floor are not regressions', () => {
  // limit = max(ratio × stable, stable + 10 ms)
  test.each<[number, number, number, 'pass' | 'fail', string]>([
    [1.5, 2, 11.5, 'pass', 'p99 2 ms ≤ stable 1.5 ms + 10 ms = 11.5 ms'],
    [1.5, 11.6, 11.5, 'fail', 'p99 11.6 ms > stable 1.5 ms + 10 ms = 11.5 ms'],
    [12, 25, 22, 'fail', 'p99 25 ms > stable 12 ms + 10 ms = 22 ms'],
    [40, 50, 50, 'pass', 'p99 50 ms ≤ 1.25 × stable 40 ms = 50 ms'],
    [40, 50.1, 50, 'fail', 'p99 50.1 ms > 1.25 × stable 40 ms = 50 ms'],
    [2, 402, 12, 'fail', 'p99 402 ms > stable 2 ms + 10 ms = 12 ms'],
  ])('stable %d ms, canary %d ms: limit %d ms → %s', (stableP99, canaryP99, limit, verdict, reason) => {
    const result = analyse(value(240, 0, canaryP99), value(4_000, 0, stableP99), DEFAULTS);
    const latency = result.checks.find((check) => check.metric === 'latencyP99');
    expect(latency).toEqual<Check>({ metric: 'latencyP99', value: canaryP99, limit, verdict, reason });
    expect(result.verdict).toBe(verdict);
  });

  test('the floor is 10 ms unless latencyToleranceMs says otherwise', () => {
    expect(LATENCY_NOISE_MS).toBe(10);
    const latency = (tolerance: number) =>
      analyse(value(240, 0, 60), value(4_000, 0, 2), { ...DEFAULTS, latencyToleranceMs: tolerance }).checks.find((c) => c.metric === 'latencyP99');
    expect(latency(100)).toMatchObject({ verdict: 'pass', limit: 102, reason: 'p99 60 ms ≤ stable 2 ms + 100 ms = 102 ms' });
    expect(latency(10)).toMatchObject({ verdict: 'fail', limit: 12 });
  });
});

describe('analyse: checks carry values and limits for the status and the audit trail', () => {
  test('a failing window', () => {
    expect(analyse(value(240, 18, 412), STABLE, { ...DEFAULTS, maxLatencyP99Ms: 500 }).checks).toEqual<Check[]>([
      { metric: 'requests', value: 240, limit: 20, verdict: 'pass', reason: '240 requests (need 20)' },
      { metric: 'errorRate', value: 0.075, limit: 0.01, verdict: 'fail', reason: 'error rate 7.5 % > limit 1 %' },
      { metric: 'latencyP99', value: 412, limit: 500, verdict: 'pass', reason: 'p99 412 ms ≤ limit 500 ms' },
      { metric: 'latencyP99', value: 412, limit: 225, verdict: 'fail', reason: 'p99 412 ms > 1.25 × stable 180 ms = 225 ms' },
    ]);
  });

  test('too few requests judges nothing else', () => {
    expect(analyse(value(12, 12, 900), STABLE, DEFAULTS).checks).toEqual<Check[]>([
      { metric: 'requests', value: 12, limit: 20, verdict: 'inconclusive', reason: '12 requests, need 20' },
    ]);
  });

  test('a measurement that could not be made is one inconclusive check, never a pass', () => {
    for (const canary of [noData, unreachable]) {
      const result = analyse(canary, STABLE, DEFAULTS);
      expect(result.verdict).toBe('inconclusive');
      expect(result.checks).toEqual([{ metric: 'requests', verdict: 'inconclusive', reason: expect.stringMatching(/^no measurement of the new version: /) }]);
    }
  });

  test('numbers that are not numbers are inconclusive, never a pass', () => {
    const broken: Measurement = { kind: 'value', requests: 100, errors: 0, errorRate: Number.NaN, latencyMs: { p99: Number.NaN } };
    const result = analyse(broken, STABLE, DEFAULTS);
    expect(result.verdict).toBe('inconclusive');
    expect(result.summary).toBe('error rate is not a number (NaN); p99 latency is not a number (NaN) for 100 requests');
  });
});

describe('number formats', () => {
  test.each([
    [0.075, '7.5 %'],
    [0.01, '1 %'],
    [0.07, '7 %'],
    [1 / 3, '33.3 %'],
    [0.3, '30 %'],
    [0.00417, '0.417 %'],
    [0, '0 %'],
    [1, '100 %'],
  ])('percent(%d) = %s', (rate, text) => {
    expect(percent(rate)).toBe(text);
  });

  test.each([
    [412, '412 ms'],
    [228.75, '228.8 ms'],
    [225, '225 ms'],
    [0.42, '0.4 ms'],
    [1234.56, '1234.6 ms'],
  ])('ms(%d) = %s', (milliseconds, text) => {
    expect(ms(milliseconds)).toBe(text);
  });
});

describe('analyse: a source that cannot measure latency by configuration', () => {
  const unmeasured = (requests: number, errors: number): Measurement => ({
    kind: 'value',
    requests,
    errors,
    errorRate: errors / requests,
    latencyMs: {},
    latencyUnmeasured: 'the metrics source has no latency query (metrics.queries.latencyP99Ms: null)',
  });

  test('judges requests and error rate, and says latency was not judged (not inconclusive)', () => {
    const result = analyse(unmeasured(200, 0), STABLE, DEFAULTS);
    expect(result.verdict).toBe('pass');
    expect(result.summary).toBe('200 requests (need 20); error rate 0 % ≤ limit 1 %; latency not judged: the metrics source has no latency query (metrics.queries.latencyP99Ms: null)');
  });

  test('still fails on error rate', () => {
    expect(analyse(unmeasured(200, 20), STABLE, DEFAULTS)).toMatchObject({ verdict: 'fail', summary: 'error rate 10 % > limit 1 %' });
  });

  test('a p99 merely missing from a source that measures latency stays inconclusive', () => {
    expect(analyse(value(200, 0), STABLE, DEFAULTS)).toMatchObject({ verdict: 'inconclusive', summary: 'no p99 latency for 200 requests' });
  });
});
