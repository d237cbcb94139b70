import { ApplicationFailure } from '@temporalio/activity';
import type { MetricsSourceConfig } from '../config/progressive-delivery';
import type { Measurement, MetricsProvider, MetricsQuery } from '../providers/metrics/metrics';

export type MeasureInput = MetricsQuery & { metrics: MetricsSourceConfig };

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
  };
}

function queryProblem(query: MetricsQuery): string | undefined {
  for (const field of ['service', 'environment', 'version'] as const) {
    if (typeof query[field] !== 'string' || query[field] === '') return `measure needs a ${field}; got ${JSON.stringify(query[field])}`;
  }
  if (!Number.isInteger(query.windowMs) || query.windowMs <= 0) return `measure needs windowMs as a positive whole number of milliseconds; got ${JSON.stringify(query.windowMs)}`;
  return undefined;
}
