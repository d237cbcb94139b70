import { ApplicationFailure } from '@temporalio/activity';
import type { MetricsSourceConfig } from '../config/progressive-delivery';
import type { Measurement } from '../contracts/measurements';
import type { MetricsProvider, MetricsQuery, ProbeScope } from '../providers/metrics/metrics';

export type MeasureInput = MetricsQuery & { metrics: MetricsSourceConfig };

export type MetricsSourceReadyInput = ProbeScope & { metrics: MetricsSourceConfig };

/** `reason` says why not when the source is not online, naming what was tried. */
export interface MetricsSourceReadiness {
  online: boolean;
  reason?: string;
}

/**
 * `metricsFor` turns a service's metrics config into a provider; the worker wires
 * `createMetricsProvider`, tests may wire anything that implements the interface.
 */
export function createMeasureActivities(metricsFor: (config: MetricsSourceConfig) => MetricsProvider) {
  return {
    /**
     * One measurement of one version over the window that ends now. A source with no
     * data or no answer is returned as `noData` / `unreachable`: the analysis counts
     * those itself, so they must not become activity retries. What does throw is a
     * query or config that can never work; retrying it would not help, so it is final.
     */
    async measure(input: MeasureInput): Promise<Measurement> {
      const { metrics, ...query } = input;
      const problem = queryProblem(query);
      if (problem) throw ApplicationFailure.create({ type: 'InvalidMetricsQuery', nonRetryable: true, message: problem });
      try {
        return await metricsFor(metrics).measure(query);
      } catch (err) {
        throw ApplicationFailure.create({
          type: 'MetricsProviderFailed',
          nonRetryable: true,
          message: `measuring ${query.service}/${query.environment} version ${query.version} with the ${metrics.kind} metrics source failed: ${err instanceof Error ? err.message : String(err)}`,
          cause: err instanceof Error ? err : undefined,
        });
      }
    },

    /**
     * Whether the service environment's metrics source can measure now, asked before a
     * rollout moves traffic. Whatever goes wrong with the source is an answer rather than
     * an exception, a provider that throws included (a config that cannot work, a bug):
     * the caller waits and shows the reason, and an activity retry would only delay that.
     * Only a call without a service or environment, which no answer could help, throws.
     */
    async metricsSourceReady(input: MetricsSourceReadyInput): Promise<MetricsSourceReadiness> {
      const { metrics, ...scope } = input;
      const problem = scopeProblem('metricsSourceReady', scope);
      if (problem) throw ApplicationFailure.create({ type: 'InvalidMetricsQuery', nonRetryable: true, message: problem });
      try {
        return await metricsFor(metrics).probe(scope);
      } catch (err) {
        return {
          online: false,
          reason: `probing the ${metrics.kind} metrics source of ${scope.service}/${scope.environment} failed: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    },
  };
}

function scopeProblem(activity: string, scope: ProbeScope): string | undefined {
  for (const field of ['service', 'environment'] as const) {
    if (typeof scope[field] !== 'string' || scope[field] === '') return `${activity} needs a ${field}; got ${JSON.stringify(scope[field])}`;
  }
  return undefined;
}

function queryProblem(query: MetricsQuery): string | undefined {
  const scoped = scopeProblem('measure', query);
  if (scoped) return scoped;
  if (typeof query.version !== 'string' || query.version === '') return `measure needs a version; got ${JSON.stringify(query.version)}`;
  if (!Number.isInteger(query.windowMs) || query.windowMs <= 0) return `measure needs windowMs as a positive whole number of milliseconds; got ${JSON.stringify(query.windowMs)}`;
  return undefined;
}
