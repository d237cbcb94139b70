/**
 * Metric providers measure; they never judge. A measurement that could not be made is
 * data too: `noData` (the source answered but had nothing for this version and window)
 * and `unreachable` (the source did not answer) are distinct, and the analysis policy
 * never counts either as a pass.
 */

export interface MetricsQuery {
  service: string;
  environment: string;
  version: string;
  /** The version's role in the rollout, for sources that label by role rather than version (HAProxy servers). */
  role?: 'stable' | 'canary';
  /** The window that ends now. */
  windowMs: number;
}

export type Measurement =
  | {
      kind: 'value';
      requests: number;
      /** 5xx answers plus requests the router could not forward. */
      errors: number;
      /** errors / requests, 0–1. */
      errorRate: number;
      /** Latency percentiles in milliseconds; absent when no request completed. */
      latencyMs: { p50?: number; p99?: number };
      /** Set when the source cannot measure latency at all, by configuration: why. Latency is then not judged. */
      latencyUnmeasured?: string;
    }
  | { kind: 'noData'; reason: string }
  | { kind: 'unreachable'; reason: string };

/** What a readiness probe is about: one service environment, since a source can serve one and not another. */
export interface ProbeScope {
  service: string;
  environment: string;
}

/** A source that cannot measure says why, naming what it tried to reach. */
export type ProbeAnswer = { online: true } | { online: false; reason: string };

export interface MetricsProvider {
  measure(query: MetricsQuery): Promise<Measurement>;
  /**
   * Whether the source can measure this service environment now, checked before traffic
   * moves so that a canary is not started blind. A source that does not answer is an
   * `online: false` answer, not an exception.
   */
  probe(scope: ProbeScope): Promise<ProbeAnswer>;
}

/**
 * Metric names the embedded router exposes on /metrics (Prometheus exposition format),
 * shared by the router, the Prometheus provider's default queries and the tests.
 */
export const ROUTER_METRICS = {
  /** Counter, labels: service, environment, version, code_class (2xx, 3xx, 4xx, 5xx, error). */
  requests: 'gantry_router_requests_total',
  /** Histogram in seconds, labels: service, environment, version. */
  duration: 'gantry_router_request_duration_seconds',
} as const;
