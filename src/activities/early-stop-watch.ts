import { Context } from '@temporalio/activity';
import type { MetricsSourceConfig } from '../config/progressive-delivery';
import type { Measurement } from '../contracts/measurements';
import type { MetricsProvider } from '../providers/metrics/metrics';
import { type EarlyStopState, type EarlyStopVerdict, earlyStopVerdict, observeEvents } from '../policy/early-stop';

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
  /** The evidence so far: the test goes on from it (one test for the whole rollout, not one per interval). */
  state: EarlyStopState;
}

type Tally = { requests: number; errors: number };

export interface EarlyStopWatchResult {
  state: EarlyStopState;
  /** Set when the evidence stopped the canary: the verdict, and the counts seen while this watch ran. */
  stopped?: EarlyStopVerdict & { canary: Tally; stable: Tally; afterMs: number };
  looks: number;
}

/**
 * Watches a soaking canary's errors against stable's between two checks, looking every
 * `everyMs`, and returns as soon as the sequential test is conclusive (or when `forMs` is
 * up). Each look reads the router's counts of every second since the watch began, so the
 * new errors since the last look are exact (the counts of the current second only grow).
 * The test itself is the pure `observeEvents` / `earlyStopVerdict`.
 *
 * A look that cannot be made (the source is unreachable) counts nothing: the evidence
 * only ever grows from real counts. A router that restarted (its counts fell) starts the
 * differences again from its new counts.
 */
export function createEarlyStopActivities(metricsFor: (config: MetricsSourceConfig) => MetricsProvider) {
  return {
    async watchForEarlyStop(input: EarlyStopWatchInput): Promise<EarlyStopWatchResult> {
      const ctx = Context.current();
      const provider = metricsFor(input.metrics);
      const startedMs = Date.now();
      const startSecond = Math.floor(startedMs / 1000);
      let state = input.state;
      let looks = 0;
      let last: { canary: Tally; stable: Tally } | undefined;
      let first: { canary: Tally; stable: Tally } | undefined;
      const measure = async (version: string, role: 'canary' | 'stable') => {
        // Whole seconds since the watch began, the current one included: the left edge stays put.
        const windowMs = (Math.floor(Date.now() / 1000) - startSecond + 1) * 1000;
        return tallyOf(await provider.measure({ service: input.service, environment: input.environment, version, role, windowMs }));
      };
      while (Date.now() - startedMs < input.forMs) {
        const [canary, stable] = await Promise.all([measure(input.candidate, 'canary'), measure(input.baseline, 'stable')]);
        looks += 1;
        if (canary && stable) {
          if (!first) first = { canary, stable };
          if (last && canary.requests >= last.canary.requests && stable.requests >= last.stable.requests) {
            const canaryRequests = canary.requests - last.canary.requests;
            const stableRequests = stable.requests - last.stable.requests;
            const served = canaryRequests + stableRequests;
            if (served > 0) {
              state = observeEvents(
                state,
                { canaryEvents: Math.max(0, canary.errors - last.canary.errors), stableEvents: Math.max(0, stable.errors - last.stable.errors), canaryShare: canaryRequests / served },
                input.tolerance,
              );
            }
          }
          last = { canary, stable };
          const verdict = earlyStopVerdict(state, input.alpha);
          if (verdict.stop && first) {
            return { state, looks, stopped: { ...verdict, canary: minus(canary, first.canary), stable: minus(stable, first.stable), afterMs: Date.now() - startedMs } };
          }
        }
        ctx.heartbeat({ looks });
        // Rejects when the soak no longer needs the watch (a pause, a promote, a rollback).
        await ctx.sleep(Math.min(input.everyMs, Math.max(0, input.forMs - (Date.now() - startedMs))));
      }
      return { state, looks };
    },
  };
}

function tallyOf(measurement: Measurement): Tally | undefined {
  if (measurement.kind === 'value') return { requests: measurement.requests, errors: measurement.errors };
  // No request in the window yet is a count of zero, not a failure to look.
  if (measurement.kind === 'noData') return { requests: 0, errors: 0 };
  return undefined;
}

const minus = (a: Tally, b: Tally): Tally => ({ requests: a.requests - b.requests, errors: a.errors - b.errors });
