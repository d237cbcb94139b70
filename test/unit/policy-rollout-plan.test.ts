import { BlueGreenSchema, CanarySchema } from '../../src/config/progressive-delivery';
import {
  type PlannedStep,
  blueGreenChecks,
  canaryPlan,
  checkOffsetsMs,
  checksIn,
  planDurationMs,
  routeWeights,
  stableWeight,
} from '../../src/policy/rollout-plan';

const S = 1_000;
const M = 60 * S;

describe('canaryPlan', () => {
  test('the default canary: 5 → 10 → 50 → 100 % checked every minute', () => {
    const plan = canaryPlan(CanarySchema.parse({}));
    expect(plan).toEqual<PlannedStep[]>([
      { index: 0, weight: 5, soakMs: 10 * M, checks: 10 },
      { index: 1, weight: 10, soakMs: 10 * M, checks: 10 },
      { index: 2, weight: 50, soakMs: 30 * M, checks: 30 },
      { index: 3, weight: 100, soakMs: 0, checks: 0 },
    ]);
    expect(planDurationMs(plan)).toBe(50 * M);
  });

  test.each<[string, { weight: number; soak?: string }[], string, Pick<PlannedStep, 'weight' | 'soakMs' | 'checks'>[]]>([
    ['a soak that is a multiple of the interval', [{ weight: 10, soak: '5m' }, { weight: 100 }], '1m', [{ weight: 10, soakMs: 5 * M, checks: 5 }, { weight: 100, soakMs: 0, checks: 0 }]],
    ['a soak that is not: one more, shorter window', [{ weight: 10, soak: '90s' }, { weight: 100 }], '1m', [{ weight: 10, soakMs: 90 * S, checks: 2 }, { weight: 100, soakMs: 0, checks: 0 }]],
    ['a soak shorter than the interval is still checked once', [{ weight: 20, soak: '10s' }, { weight: 100 }], '1m', [{ weight: 20, soakMs: 10 * S, checks: 1 }, { weight: 100, soakMs: 0, checks: 0 }]],
    ['a soaked final step is checked too', [{ weight: 50, soak: '2m' }, { weight: 100, soak: '3m' }], '1m', [{ weight: 50, soakMs: 2 * M, checks: 2 }, { weight: 100, soakMs: 3 * M, checks: 3 }]],
    ['a single 100 % step', [{ weight: 100 }], '30s', [{ weight: 100, soakMs: 0, checks: 0 }]],
    ['the local demo: seconds', [{ weight: 5, soak: '6s' }, { weight: 50, soak: '6s' }, { weight: 100 }], '2s', [{ weight: 5, soakMs: 6 * S, checks: 3 }, { weight: 50, soakMs: 6 * S, checks: 3 }, { weight: 100, soakMs: 0, checks: 0 }]],
  ])('%s', (_name, steps, interval, expected) => {
    const plan = canaryPlan(CanarySchema.parse({ steps, interval }));
    expect(plan).toEqual(expected.map((step, index) => ({ index, ...step })));
  });
});

describe('checksIn and checkOffsetsMs', () => {
  test.each<[number, number, number[]]>([
    [10 * M, M, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => n * M)],
    [90 * S, M, [60 * S, 90 * S]],
    [10 * S, M, [10 * S]],
    [10 * M, 3 * M, [3 * M, 6 * M, 9 * M, 10 * M]],
    [0, M, []],
  ])('soak %d ms at interval %d ms → %j', (soakMs, intervalMs, offsets) => {
    expect(checkOffsetsMs(soakMs, intervalMs)).toEqual(offsets);
    expect(checksIn(soakMs, intervalMs)).toBe(offsets.length);
  });

  test.each([0, -M, Number.NaN])('refuses an interval of %d ms', (intervalMs) => {
    expect(() => checksIn(M, intervalMs)).toThrow(/the analysis interval must be positive/);
  });
});

describe('traffic weights', () => {
  test.each<[number, number]>([
    [0, 100],
    [1, 99],
    [5, 95],
    [50, 50],
    [100, 0],
  ])('canary %i % → stable %i %', (canary, stable) => {
    expect(stableWeight(canary)).toBe(stable);
    expect(routeWeights({ weight: canary })).toEqual({ stable, canary });
  });

  test.each([-1, 101, 2.5, Number.NaN])('refuses a canary weight of %d', (weight) => {
    expect(() => stableWeight(weight)).toThrow(/a canary weight is a whole percentage from 0 to 100/);
  });
});

describe('blueGreenChecks', () => {
  test.each<[string, string, number]>([
    ['10m', '1m', 10],
    ['10m', '3m', 4],
    ['30s', '1m', 1],
    ['1h', '5m', 12],
  ])('blue kept %s, checked every %s → checks: %i', (keepBlueFor, interval, checks) => {
    expect(blueGreenChecks(BlueGreenSchema.parse({ keepBlueFor, interval }))).toBe(checks);
  });

  test('the defaults: 10 analyses over 10 minutes', () => {
    expect(blueGreenChecks(BlueGreenSchema.parse({}))).toBe(10);
  });
});
