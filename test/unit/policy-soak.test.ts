import { repeatedCheck, soakExtension, waitBeforeCheckMs } from '../../src/policy/soak';
import { checkOffsetsMs } from '../../src/policy/rollout-plan';

describe('waitBeforeCheckMs', () => {
  test.each([
    // soak, interval, waits before each check
    [240_000, 60_000, [60_000, 60_000, 60_000, 60_000]],
    [90_000, 60_000, [60_000, 30_000]],
    [30_000, 60_000, [30_000]],
    [6_000, 2_000, [2_000, 2_000, 2_000]],
  ])('soak %i ms at interval %i ms → %j', (soakMs, intervalMs, waits) => {
    const planned = waits.length;
    expect(Array.from({ length: planned }, (_, done) => waitBeforeCheckMs(soakMs, intervalMs, done))).toEqual(waits);
    // The waits add up to the plan's check offsets: the last check sees the end of the soak.
    const offsets = waits.map((_, i) => waits.slice(0, i + 1).reduce((a, b) => a + b, 0));
    expect(offsets).toEqual(checkOffsetsMs(soakMs, intervalMs));
  });

  test('never negative past the last check', () => {
    expect(waitBeforeCheckMs(90_000, 60_000, 5)).toBe(0);
  });
});

describe('soakExtension', () => {
  const due = Date.parse('2026-12-01T10:00:00.000Z');
  test('a check that ran on time, or late by ordinary scheduling, extends nothing', () => {
    expect(soakExtension(due, due, 60_000)).toBeUndefined();
    expect(soakExtension(due, due + 30_000, 60_000)).toBeUndefined();
    expect(soakExtension(due, due + 900, 1_000)).toBeUndefined();
  });

  test('a check that ran much later than due says the soak was extended, by how much and why', () => {
    expect(soakExtension(due, due + 190_000, 60_000)).toBe(
      'soak extended: the check due at 2026-12-01T10:00:00.000Z ran 190 s late (no worker was running); the step still gets every planned check',
    );
    expect(soakExtension(due, due + 5_000, 2_000)).toMatch(/ran 5 s late/);
  });
});

describe('repeatedCheck', () => {
  test('says which check did not pass, why, and that it is made again', () => {
    expect(repeatedCheck('inconclusive', '3 requests, need 20')).toBe(
      'soak extended: a check was inconclusive (3 requests, need 20); it is made again, since a step advances only after all its planned checks pass',
    );
    expect(repeatedCheck('fail', 'error rate 7.5 % > limit 1 %')).toMatch(/^soak extended: a check was failed \(error rate 7\.5 % > limit 1 %\)/);
  });
});
