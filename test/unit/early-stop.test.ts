import { earlyStopVerdict, observeEvents, startEarlyStop } from '../../src/policy/early-stop';

/** A seeded generator: the simulations below see the same requests every run. */
function generator(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One canary step: `requests` requests, `share` of them to the canary, checked after
 * every batch of `batch` requests (as often as a router reports). Returns the request at
 * which the early stop fired, or undefined.
 */
function soak(random: () => number, o: { requests: number; share: number; canaryRate: number; stableRate: number; batch: number; alpha: number; tolerance: number }): number | undefined {
  let state = startEarlyStop();
  for (let served = 0; served < o.requests; served += o.batch) {
    let canaryEvents = 0;
    let stableEvents = 0;
    let canaryRequests = 0;
    for (let i = 0; i < o.batch; i++) {
      if (random() < o.share) {
        canaryRequests++;
        if (random() < o.canaryRate) canaryEvents++;
      } else if (random() < o.stableRate) stableEvents++;
    }
    // The share the router actually gave this batch, as its request counts report it.
    state = observeEvents(state, { canaryEvents, stableEvents, canaryShare: canaryRequests / o.batch }, o.tolerance);
    if (earlyStopVerdict(state, o.alpha).stop) return served + o.batch;
  }
  return undefined;
}

/**
 * Bad events only, each checked as it happens (the most looks a step can have): over a
 * step, `events` events, each the canary's with the probability the rates and the share
 * give. Returns the event at which the early stop fired, or undefined.
 */
function soakEvents(random: () => number, o: { events: number; share: number; canaryRate: number; stableRate: number; alpha: number; tolerance: number }): number | undefined {
  const canaryProbability = (o.share * o.canaryRate) / (o.share * o.canaryRate + (1 - o.share) * o.stableRate);
  let state = startEarlyStop();
  for (let event = 1; event <= o.events; event++) {
    const canary = random() < canaryProbability;
    state = observeEvents(state, { canaryEvents: canary ? 1 : 0, stableEvents: canary ? 0 : 1, canaryShare: o.share }, o.tolerance);
    if (earlyStopVerdict(state, o.alpha).stop) return event;
  }
  return undefined;
}

describe('the early stop', () => {
  test('a canary no worse than stable is stopped at most alpha of the time, checked after every event (2,000 simulated steps)', () => {
    const random = generator(1);
    const runs = 2000;
    const alpha = 0.01;
    let stopped = 0;
    // 2 % errors on both sides, 10 % of the traffic to the canary: 300 events is a step of 15,000 requests.
    for (let run = 0; run < runs; run++) if (soakEvents(random, { events: 300, share: 0.1, canaryRate: 0.02, stableRate: 0.02, alpha, tolerance: 0 }) !== undefined) stopped++;
    // Ville's inequality bounds it by alpha; the binomial spread of the runs adds under half a point at 3 sigma.
    expect(stopped / runs).toBeLessThanOrEqual(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
  });

  test('the same holds when requests are simulated one by one and checked in batches (300 steps of 10,000 requests)', () => {
    const random = generator(4);
    const runs = 300;
    let stopped = 0;
    for (let run = 0; run < runs; run++) if (soak(random, { requests: 10_000, share: 0.1, canaryRate: 0.02, stableRate: 0.02, batch: 20, alpha: 0.05, tolerance: 0 }) !== undefined) stopped++;
    expect(stopped / runs).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt((0.05 * 0.95) / runs));
  });

  test('a canary worse only within its tolerance is not held to a stricter rule: stops stay under alpha', () => {
    const random = generator(2);
    const runs = 2000;
    let stopped = 0;
    for (let run = 0; run < runs; run++) if (soakEvents(random, { events: 300, share: 0.1, canaryRate: 0.024, stableRate: 0.02, alpha: 0.01, tolerance: 0.2 }) !== undefined) stopped++;
    expect(stopped / runs).toBeLessThanOrEqual(0.01 + 3 * Math.sqrt((0.01 * 0.99) / runs));
  });

  test('a 30 %-error canary at 5 % of the traffic is stopped within its first few hundred requests, every time', () => {
    const random = generator(3);
    const stops: number[] = [];
    for (let run = 0; run < 500; run++) {
      const at = soak(random, { requests: 12_000, share: 0.05, canaryRate: 0.3, stableRate: 0.001, batch: 10, alpha: 0.01, tolerance: 0 });
      expect(at).toBeDefined();
      stops.push(at!);
    }
    stops.sort((a, b) => a - b);
    // At 200 requests a second, 600 requests are 3 s: within the 5 s whatever the analysis interval.
    expect(stops[Math.floor(stops.length * 0.95)]).toBeLessThanOrEqual(600);
  });

  test('a canary twice as bad as stable (1 % → 2 % errors) is stopped within the step, with the evidence to show', () => {
    let state = startEarlyStop();
    state = observeEvents(state, { canaryEvents: 40, stableEvents: 180, canaryShare: 0.1 }, 0);
    const verdict = earlyStopVerdict(state, 0.01);
    expect(verdict.stop).toBe(true);
    expect(verdict.evidence).toBeGreaterThanOrEqual(100);
    expect(verdict.alwaysValidP).toBeLessThanOrEqual(0.01);
    expect({ canary: verdict.canaryEvents, stable: verdict.stableEvents }).toEqual({ canary: 40, stable: 180 });
  });

  test('no events, or events at a share that says nothing (all traffic on one side), leave the evidence at 1', () => {
    let state = observeEvents(startEarlyStop(), { canaryEvents: 0, stableEvents: 0, canaryShare: 0.1 }, 0);
    state = observeEvents(state, { canaryEvents: 5, stableEvents: 0, canaryShare: 1 }, 0);
    expect(earlyStopVerdict(state, 0.01)).toEqual({ stop: false, evidence: 1, alwaysValidP: 1, canaryEvents: 5, stableEvents: 0 });
  });
});
