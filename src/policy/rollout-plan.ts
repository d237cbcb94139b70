import type { BlueGreenConfig, CanaryConfig } from '../config/progressive-delivery';

/**
 * The shape of a rollout before it starts: which traffic weights, how long each is
 * soaked, and how many analyses fit in each soak. Pure, so the CLI can explain a plan
 * and the workflow can follow it.
 *
 * Worked example, the default canary (interval 1m):
 *
 *   step  weight  soak   checks  check offsets                 traffic stable/canary
 *   0     5 %     10m    10      1m, 2m, …, 10m                95 / 5
 *   1     10 %    10m    10      1m, 2m, …, 10m                90 / 10
 *   2     50 %    30m    30      1m, 2m, …, 30m                50 / 50
 *   3     100 %   —      0       —                             0 / 100
 *
 * A soak that is not a multiple of the interval ends with a shorter window: soak 90s at
 * interval 1m → checks at 60s and 90s (ceil(90 / 60) = 2), so the last analysis always
 * sees the end of the soak.
 */

export interface PlannedStep {
  index: number;
  /** The new version's share of traffic, 1–100. */
  weight: number;
  /** How long the step is watched; 0 for a step that is not soaked (the final 100 %). */
  soakMs: number;
  /** Analyses during the soak. */
  checks: number;
}

export interface RouteWeights {
  stable: number;
  canary: number;
}

export function canaryPlan(config: Pick<CanaryConfig, 'steps' | 'interval'>): PlannedStep[] {
  return config.steps.map((step, index) => {
    const soakMs = step.soak ?? 0;
    return { index, weight: step.weight, soakMs, checks: checksIn(soakMs, config.interval) };
  });
}

/** Analyses that fit in a soak: ceil(soak / interval), so at least 1 for any soak; 0 without one. */
export function checksIn(soakMs: number, intervalMs: number): number {
  if (!(intervalMs > 0)) throw new RangeError(`the analysis interval must be positive, got ${intervalMs} ms`);
  return soakMs > 0 ? Math.ceil(soakMs / intervalMs) : 0;
}

/** When each analysis of a soak runs, from the start of the soak: every interval, and the last at its end. */
export function checkOffsetsMs(soakMs: number, intervalMs: number): number[] {
  return Array.from({ length: checksIn(soakMs, intervalMs) }, (_, i) => Math.min((i + 1) * intervalMs, soakMs));
}

/** The whole plan's soak time: how long a rollout takes if nothing pauses it. */
export function planDurationMs(plan: readonly PlannedStep[]): number {
  return plan.reduce((sum, step) => sum + step.soakMs, 0);
}

/** Stable's share when the new version has `canaryWeight` %: 5 → 95. */
export function stableWeight(canaryWeight: number): number {
  if (!Number.isInteger(canaryWeight) || canaryWeight < 0 || canaryWeight > 100) {
    throw new RangeError(`a canary weight is a whole percentage from 0 to 100, got ${canaryWeight}`);
  }
  return 100 - canaryWeight;
}

/** The traffic split of a step: { weight: 10 } → stable 90, canary 10. */
export function routeWeights(step: Pick<PlannedStep, 'weight'>): RouteWeights {
  return { stable: stableWeight(step.weight), canary: step.weight };
}

/**
 * Analyses of green while blue is kept after the switch: ceil(keepBlueFor / interval).
 * Default 10m at 1m → 10; 10m at 3m → 4 (at 3, 6, 9 and 10 minutes).
 */
export function blueGreenChecks(config: Pick<BlueGreenConfig, 'keepBlueFor' | 'interval'>): number {
  return checksIn(config.keepBlueFor, config.interval);
}
