import { Context } from '@temporalio/activity';
import type { MetricsSourceConfig } from '../config/progressive-delivery';
import type { Measurement } from '../contracts/measurements';
import type { MetricsProvider } from '../providers/metrics/metrics';
import type { EarlyStopVerdict } from '../policy/early-stop';
import { type EarlyStopEvidence, type EarlyStopSignal, type SideCounts, evidenceVerdict, observeLook, slowLimitMs, slowerThan } from '../policy/early-stop-signals';

export interface EarlyStopWatchInput {
  service: string;
  environment: string;
  metrics: MetricsSourceConfig;
  /** The canary's version and stable's. */
  candidate: string;
  baseline: string;
  /** How long to watch (the time left before the soak's next check), ms. */
  forMs: number;
  /** How often to look, ms. */
  everyMs: number;
  alpha: number;
  tolerance: number;
  /** Stable's p99 over this window, read when the watch begins, sets the limit a slow request crosses (see slowLimitMs). */
  referenceWindowMs: number;
  /** Latency differences smaller than this are noise (the judge's latency toleranceMs). */
  latencyToleranceMs: number;
  /** The evidence so far: the tests go on from it (one test for the whole rollout, not one per interval). */
  evidence: EarlyStopEvidence;
}

export interface EarlyStopWatchResult {
  evidence: EarlyStopEvidence;
  /** Set when the evidence stopped the canary: by which signal, the verdict, and the counts seen while this watch ran. */
  stopped?: EarlyStopVerdict & { signal: EarlyStopSignal; slowerThanMs?: number; canary: SideCounts; stable: SideCounts; afterMs: number };
  looks: number;
}

/**
 * Watches a soaking canary's errors and slow requests against stable's between two
 * checks, looking every `everyMs`, and returns as soon as a sequential test is conclusive
 * (or when `forMs` is up). Each look reads the router's counts of every second since the
 * watch began, so what is new since the last look is exact (the counts of the current
 * second only grow). The tests are the pure early-stop-signals.ts.
 *
 * A look that cannot be made (the source is unreachable) counts nothing: the evidence
 * only ever grows from real counts. Without stable's p99 to set the slow limit (no
 * traffic in the reference window) the watch looks at errors only.
 */
export function createEarlyStopActivities(metricsFor: (config: MetricsSourceConfig) => MetricsProvider) {
  return {
    async watchForEarlyStop(input: EarlyStopWatchInput): Promise<EarlyStopWatchResult> {
      const ctx = Context.current();
      const provider = metricsFor(input.metrics);
      const scope = { service: input.service, environment: input.environment };
      const startedMs = Date.now();
      const startSecond = Math.floor(startedMs / 1000);
      const reference = await provider.measure({ ...scope, version: input.baseline, role: 'stable', windowMs: input.referenceWindowMs });
      const stableP99 = reference.kind === 'value' ? reference.latencyMs.p99 : undefined;
      const slowMs = stableP99 !== undefined && Number.isFinite(stableP99) ? slowLimitMs(stableP99, input.latencyToleranceMs) : undefined;
      let evidence = input.evidence;
      let looks = 0;
      let last: { canary: SideCounts; stable: SideCounts } | undefined;
      let first: { canary: SideCounts; stable: SideCounts } | undefined;
      const measure = async (version: string, role: 'canary' | 'stable') => {
        // Whole seconds since the watch began, the current one included: the left edge stays put.
        const windowMs = (Math.floor(Date.now() / 1000) - startSecond + 1) * 1000;
        return countsOf(await provider.measure({ ...scope, version, role, windowMs }), slowMs);
      };
      while (Date.now() - startedMs < input.forMs) {
        const [canary, stable] = await Promise.all([measure(input.candidate, 'canary'), measure(input.baseline, 'stable')]);
        looks += 1;
        if (canary && stable) {
          first ??= { canary, stable };
          if (last) evidence = observeLook(evidence, last, { canary, stable }, input.tolerance, slowMs !== undefined);
          last = { canary, stable };
          const stop = evidenceVerdict(evidence, input.alpha);
          if (stop) {
            return {
              evidence,
              looks,
              stopped: {
                ...stop.verdict,
                signal: stop.signal,
                ...(slowMs !== undefined ? { slowerThanMs: slowMs } : {}),
                canary: minus(canary, first.canary),
                stable: minus(stable, first.stable),
                afterMs: Date.now() - startedMs,
              },
            };
          }
        }
        ctx.heartbeat({ looks });
        // Rejects when the soak no longer needs the watch (a pause, a promote, a rollback).
        await ctx.sleep(Math.min(input.everyMs, Math.max(0, input.forMs - (Date.now() - startedMs))));
      }
      return { evidence, looks };
    },
  };
}

function countsOf(measurement: Measurement, slowMs: number | undefined): SideCounts | undefined {
  if (measurement.kind === 'value') {
    return { requests: measurement.requests, errors: measurement.errors, slow: slowMs === undefined ? 0 : slowerThan(measurement.latencyHistogram, slowMs) };
  }
  // No request in the window yet is a count of zero, not a failure to look.
  if (measurement.kind === 'noData') return { requests: 0, errors: 0, slow: 0 };
  return undefined;
}

const minus = (a: SideCounts, b: SideCounts): SideCounts => ({ requests: a.requests - b.requests, errors: a.errors - b.errors, slow: a.slow - b.slow });
