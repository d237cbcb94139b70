import type { GantryActivities } from '../../src/activities';
import type { Measurement } from '../../src/contracts/measurements';
import type { Route } from '../../src/contracts/routes';
import type { MetricsQuery } from '../../src/providers/metrics/metrics';

/**
 * Stand-ins for the router and the metrics source, for tests about the rollout
 * workflows' decisions: the route tables the workflow set are recorded, and each
 * version's measurements are scripted. The real router and metrics providers have
 * their own tests against real processes and a real Prometheus.
 */
export interface FakeProgressive {
  activities: Pick<GantryActivities, 'ensureRouter' | 'setRoutes' | 'getRoutes' | 'measure' | 'metricsSourceReady' | 'sendPreviewTraffic'>;
  /** Every route table set, in order. */
  tables: Route[][];
  /** Measurements taken, in order. */
  measured: MetricsQuery[];
  previewRequests: number;
  /** Whether the metrics source answers; a test turns it off to see a rollout wait for it. */
  metricsOnline: boolean;
  /** Readiness checks made, in order. */
  readinessChecks: number;
}

export type MeasurementScript = (version: string, call: number) => Measurement;

export const healthy = (requests = 200, p99 = 100): Measurement => ({ kind: 'value', requests, errors: 0, errorRate: 0, latencyMs: { p50: p99 / 2, p99 } });
export const failing = (errorRate: number, requests = 200): Measurement => ({
  kind: 'value',
  requests,
  errors: Math.round(errorRate * requests),
  errorRate,
  latencyMs: { p50: 50, p99: 100 },
});
export const slow = (p99: number): Measurement => ({ kind: 'value', requests: 200, errors: 0, errorRate: 0, latencyMs: { p50: p99 / 2, p99 } });
export const noData: Measurement = { kind: 'noData', reason: 'no requests for this version in the window' };

export function fakeProgressive(script: MeasurementScript): FakeProgressive {
  const tables: Route[][] = [];
  const measured: MetricsQuery[] = [];
  const calls = new Map<string, number>();
  const world: FakeProgressive = {
    tables,
    measured,
    previewRequests: 0,
    metricsOnline: true,
    readinessChecks: 0,
    activities: {
      async metricsSourceReady() {
        world.readinessChecks += 1;
        return world.metricsOnline ? { online: true } : { online: false, reason: 'connect ECONNREFUSED 127.0.0.1:9 (scripted outage)' };
      },
      async ensureRouter({ service, environment }) {
        return { url: `http://router.invalid/${service}/${environment}` };
      },
      async setRoutes({ routes }) {
        tables.push(routes);
      },
      async getRoutes() {
        return tables[tables.length - 1] ?? [];
      },
      async measure(query) {
        const { metrics: _metrics, ...q } = query;
        measured.push(q);
        const n = (calls.get(q.version) ?? 0) + 1;
        calls.set(q.version, n);
        return script(q.version, n);
      },
      async sendPreviewTraffic({ requests }) {
        world.previewRequests += requests;
        return { sent: requests, byStatus: { '2xx': requests } };
      },
    },
  };
  return world;
}

/** The canary's weight in each table the workflow set (100 for a table with only the new version). */
export function canaryWeights(tables: Route[][], newVersion: string): number[] {
  return tables.map((t) => t.filter((r) => r.version === newVersion).reduce((sum, r) => sum + r.weight, 0));
}
