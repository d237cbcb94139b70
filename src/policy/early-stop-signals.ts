import { type EarlyStopState, type EarlyStopVerdict, earlyStopVerdict, observeEvents, startEarlyStop } from './early-stop';

/**
 * The early stop watches two kinds of bad event with the sequential test of
 * early-stop.ts: errors, and slow requests (slower than a limit fixed for the watch).
 * Each test runs at half the alpha asked for, so the chance that either stops a canary
 * no worse than stable stays at most alpha (a union bound). Pure.
 */

export type EarlyStopSignal = 'errors' | 'latency';

export interface EarlyStopEvidence {
  errors: EarlyStopState;
  latency: EarlyStopState;
}

/** What the router counted for one version since the watch began: requests, errors, and requests slower than the limit. */
export interface SideCounts {
  requests: number;
  errors: number;
  slow: number;
}

export const startEvidence = (): EarlyStopEvidence => ({ errors: startEarlyStop(), latency: startEarlyStop() });

/**
 * Adds what happened between two looks (counts since the watch began, at each look). A
 * look whose counts fell (a restarted router) adds nothing: the next look counts from it.
 * `watchLatency` is false while there is no limit to call a request slow by.
 */
export function observeLook(
  evidence: EarlyStopEvidence,
  before: { canary: SideCounts; stable: SideCounts },
  now: { canary: SideCounts; stable: SideCounts },
  tolerance: number,
  watchLatency: boolean,
): EarlyStopEvidence {
  const canaryRequests = now.canary.requests - before.canary.requests;
  const stableRequests = now.stable.requests - before.stable.requests;
  if (canaryRequests < 0 || stableRequests < 0 || canaryRequests + stableRequests === 0) return evidence;
  const canaryShare = canaryRequests / (canaryRequests + stableRequests);
  const batch = (what: 'errors' | 'slow') => ({
    canaryEvents: Math.max(0, now.canary[what] - before.canary[what]),
    stableEvents: Math.max(0, now.stable[what] - before.stable[what]),
    canaryShare,
  });
  return {
    errors: observeEvents(evidence.errors, batch('errors'), tolerance),
    latency: watchLatency ? observeEvents(evidence.latency, batch('slow'), tolerance) : evidence.latency,
  };
}

/** Whether either signal stops the canary at `alpha` overall, and which (errors first when both do). */
export function evidenceVerdict(evidence: EarlyStopEvidence, alpha: number): { signal: EarlyStopSignal; verdict: EarlyStopVerdict } | undefined {
  for (const signal of ['errors', 'latency'] as const) {
    const verdict = earlyStopVerdict(evidence[signal], alpha / 2);
    if (verdict.stop) return { signal, verdict };
  }
  return undefined;
}

/**
 * The latency above which a request counts as slow during a watch: twice stable's p99,
 * and at least `toleranceMs` above it. Generous on purpose: a canary the judge would let
 * pass (a small shift) must not be stopped for crossing a tight line; a clearly slower
 * one crosses this one on most requests.
 *
 * Worked example: stable p99 4 ms, toleranceMs 10 → 14 ms; stable p99 180 ms → 360 ms.
 */
export function slowLimitMs(stableP99Ms: number, toleranceMs: number): number {
  return Math.max(2 * stableP99Ms, stableP99Ms + toleranceMs);
}

/** How many of a histogram's requests ([ms, count] pairs) were slower than `limitMs`. */
export function slowerThan(histogram: ReadonlyArray<readonly [number, number]> | undefined, limitMs: number): number {
  let slow = 0;
  for (const [ms, count] of histogram ?? []) if (ms > limitMs) slow += count;
  return slow;
}
