import type { Measurement } from '../../contracts/measurements';

/**
 * Metric providers measure; they never judge. What a measurement may say, including
 * that it could not be made, is the contract in src/contracts/measurements.ts.
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
