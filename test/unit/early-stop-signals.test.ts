import { earlyStopVerdict } from '../../src/policy/early-stop';
import { evidenceVerdict, observeLook, slowLimitMs, slowerThan, startEvidence } from '../../src/policy/early-stop-signals';

const side = (requests: number, errors: number, slow: number) => ({ requests, errors, slow });

describe('the early stop on errors and slow requests', () => {
  test('a look adds what is new since the last one, to each signal', () => {
    const before = { canary: side(10, 0, 0), stable: side(190, 0, 0) };
    const now = { canary: side(20, 4, 6), stable: side(380, 0, 1) };
    const evidence = observeLook(startEvidence(), before, now, 0.5, true);
    expect(evidence.errors).toMatchObject({ canaryEvents: 4, stableEvents: 0 });
    expect(evidence.latency).toMatchObject({ canaryEvents: 6, stableEvents: 1 });
  });

  test('without a slow limit only errors count; counts that fell (a restarted router) add nothing', () => {
    const before = { canary: side(10, 0, 0), stable: side(190, 0, 0) };
    const onlyErrors = observeLook(startEvidence(), before, { canary: side(20, 4, 6), stable: side(380, 0, 1) }, 0.5, false);
    expect(onlyErrors.latency).toEqual(startEvidence().latency);
    const restarted = observeLook(startEvidence(), before, { canary: side(3, 1, 0), stable: side(50, 0, 0) }, 0.5, true);
    expect(restarted).toEqual(startEvidence());
  });

  test('each signal is tested at half the alpha, so both together keep the level asked for', () => {
    // Evidence of 150 on one signal: enough for a single test at 0.01 (1/0.01 = 100), not for half of it (200).
    const at = (value: number) => ({ logRatios: [1, 2, 3, 4, 5, 6].map(() => Math.log(value)), canaryEvents: 5, stableEvents: 0 });
    expect(earlyStopVerdict(at(150), 0.01).stop).toBe(true);
    expect(evidenceVerdict({ errors: at(150), latency: startEvidence().latency }, 0.01)).toBeUndefined();
    expect(evidenceVerdict({ errors: startEvidence().errors, latency: at(150) }, 0.01)).toBeUndefined();
    expect(evidenceVerdict({ errors: startEvidence().errors, latency: at(250) }, 0.01)).toMatchObject({ signal: 'latency', verdict: { stop: true, evidence: expect.closeTo(250, 6) } });
    expect(evidenceVerdict({ errors: at(250), latency: at(250) }, 0.01)?.signal).toBe('errors');
  });

  test('a slow request crosses twice stable p99, and at least toleranceMs above it', () => {
    expect(slowLimitMs(4, 10)).toBe(14);
    expect(slowLimitMs(180, 10)).toBe(360);
    expect(slowerThan([[3.9, 100], [14, 3], [14.2, 2], [400, 7]], 14)).toBe(9);
    expect(slowerThan(undefined, 14)).toBe(0);
  });
});
