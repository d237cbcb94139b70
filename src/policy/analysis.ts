import type { AnalysisConfig } from '../config/progressive-delivery';
import type { Measurement } from '../contracts/measurements';

/**
 * Judges one measurement window of the new version (the canary, or green) against the
 * rules and, for latency, against the stable version. Pure: the rollout workflows, the
 * CLI and tests call it. A measurement that could not be made is data: it makes the
 * result inconclusive, never a pass.
 *
 * Worked example, default rules (error rate ≤ 1 %, p99 ≤ 1.25 × stable, ≥ 20 requests):
 *
 *   canary 240 requests, 18 errors (7.5 %), p99 412 ms; stable p99 180 ms
 *   requests    240 ≥ 20                                   pass
 *   error rate  7.5 % > limit 1 %                          fail
 *   latency     412 ms > 1.25 × 180 ms = 225 ms            fail
 *   → fail, summary "error rate 7.5 % > limit 1 %; p99 412 ms > 1.25 × stable 180 ms = 225 ms"
 *
 *   canary 12 requests → inconclusive "12 requests, need 20" (nothing else is judged:
 *   12 requests say too little about a rate or a percentile)
 *
 * Choices:
 * - The latency comparison needs a stable p99. Without one (no stable version, stable
 *   unmeasured, or stable served nothing in the window, as blue is after a blue/green
 *   switch) it is `skipped`: it does not make the result inconclusive, otherwise such
 *   rollouts would pause on every check. The absolute limit, when configured, still
 *   applies. A pass still rests on a judgement: whenever there are enough requests to
 *   judge at all, the error rate is judged.
 * - On fast services a p99 of 2 ms against stable's 1.5 ms is noise, not a regression,
 *   yet it is 1.33 × stable. The relative limit is therefore never below stable +
 *   {@link LATENCY_NOISE_MS}: stable 1.5 ms → limit max(1.25 × 1.5, 1.5 + 10) = 11.5 ms;
 *   stable 180 ms → limit max(225, 190) = 225 ms. `maxLatencyP99Ms` is exact.
 * - A value that is not a finite number (a provider bug) is inconclusive, never a pass.
 */

export type Verdict = 'pass' | 'fail' | 'inconclusive';
/** A check's own verdict; `skipped` checks do not count towards the result. */
export type CheckVerdict = Verdict | 'skipped';
export type CheckedMetric = 'requests' | 'errorRate' | 'latencyP99';

export interface Check {
  metric: CheckedMetric;
  /** What was measured: requests, error rate 0–1, or p99 in ms. */
  value?: number;
  /** The limit it was held to, in the same unit. */
  limit?: number;
  verdict: CheckVerdict;
  reason: string;
}

export interface AnalysisResult {
  verdict: Verdict;
  checks: Check[];
  /** The reasons that decided the verdict, e.g. "error rate 7.5 % > limit 1 %"; used as the rollback reason. */
  summary: string;
}

export type AnalysisRules = Pick<AnalysisConfig, 'maxErrorRate' | 'maxLatencyP99Ms' | 'maxLatencyRatio' | 'minRequests'> &
  Partial<Pick<AnalysisConfig, 'latencyToleranceMs'>>;

/** A p99 rise smaller than this over stable's is never called a regression by the relative rule. */
export const LATENCY_NOISE_MS = 10; // the default of `latencyToleranceMs`

type Measured = Extract<Measurement, { kind: 'value' }>;

export function analyse(canary: Measurement, stable: Measurement | undefined, rules: AnalysisRules): AnalysisResult {
  if (canary.kind !== 'value') {
    return conclude([{ metric: 'requests', verdict: 'inconclusive', reason: `no measurement of the new version: ${unmeasured(canary)}` }]);
  }
  const volume = checkRequests(canary.requests, rules.minRequests);
  if (volume.verdict !== 'pass') return conclude([volume]);
  return conclude([volume, checkErrorRate(canary.errorRate, rules.maxErrorRate), ...checkLatency(canary, stable, rules)]);
}

function checkRequests(requests: number, minRequests: number): Check {
  const base = { metric: 'requests', value: requests, limit: minRequests } as const;
  if (!Number.isFinite(requests)) return { ...base, verdict: 'inconclusive', reason: `request count is not a number (${requests})` };
  if (requests < minRequests) return { ...base, verdict: 'inconclusive', reason: `${requests} requests, need ${minRequests}` };
  return { ...base, verdict: 'pass', reason: `${requests} requests (need ${minRequests})` };
}

function checkErrorRate(errorRate: number, maxErrorRate: number): Check {
  const base = { metric: 'errorRate', value: errorRate, limit: maxErrorRate } as const;
  if (!Number.isFinite(errorRate)) return { ...base, verdict: 'inconclusive', reason: `error rate is not a number (${errorRate})` };
  const failed = errorRate > maxErrorRate;
  return {
    ...base,
    verdict: failed ? 'fail' : 'pass',
    reason: `error rate ${percent(errorRate)} ${failed ? '>' : '≤'} limit ${percent(maxErrorRate)}`,
  };
}

function checkLatency(canary: Measured, stable: Measurement | undefined, rules: AnalysisRules): Check[] {
  // A source that cannot measure latency by configuration is not missing data: say so, judge the rest.
  if (canary.latencyUnmeasured) return [{ metric: 'latencyP99', verdict: 'skipped', reason: `latency not judged: ${canary.latencyUnmeasured}` }];
  const p99 = canary.latencyMs.p99;
  if (p99 === undefined || !Number.isFinite(p99)) {
    const what = p99 === undefined ? 'no p99 latency' : `p99 latency is not a number (${p99})`;
    return [{ metric: 'latencyP99', verdict: 'inconclusive', reason: `${what} for ${canary.requests} requests` }];
  }
  const checks: Check[] = [];
  if (rules.maxLatencyP99Ms !== undefined) checks.push(checkAbsoluteLatency(p99, rules.maxLatencyP99Ms));
  checks.push(checkRelativeLatency(p99, stable, rules.maxLatencyRatio, rules.latencyToleranceMs));
  return checks;
}

function checkAbsoluteLatency(p99: number, limit: number): Check {
  const failed = p99 > limit;
  return { metric: 'latencyP99', value: p99, limit, verdict: failed ? 'fail' : 'pass', reason: `p99 ${ms(p99)} ${failed ? '>' : '≤'} limit ${ms(limit)}` };
}

function checkRelativeLatency(p99: number, stable: Measurement | undefined, ratio: number, toleranceMs = LATENCY_NOISE_MS): Check {
  const baseline = stableP99(stable);
  if (typeof baseline === 'string') return { metric: 'latencyP99', value: p99, verdict: 'skipped', reason: `p99 ${ms(p99)} not compared: ${baseline}` };
  const byRatio = ratio * baseline;
  const byNoise = baseline + toleranceMs;
  const limit = Math.max(byRatio, byNoise);
  const failed = p99 > limit;
  const derivation =
    byRatio >= byNoise ? `${ratio} × stable ${ms(baseline)} = ${ms(limit)}` : `stable ${ms(baseline)} + ${ms(toleranceMs)} = ${ms(limit)}`;
  return { metric: 'latencyP99', value: p99, limit, verdict: failed ? 'fail' : 'pass', reason: `p99 ${ms(p99)} ${failed ? '>' : '≤'} ${derivation}` };
}

/** Stable's p99, or why there is none to compare with. */
function stableP99(stable: Measurement | undefined): number | string {
  if (stable === undefined) return 'no stable version';
  if (stable.kind !== 'value') return `no measurement of stable (${unmeasured(stable)})`;
  const p99 = stable.latencyMs.p99;
  if (p99 === undefined || !Number.isFinite(p99)) return `stable has no p99 latency (${stable.requests} requests)`;
  return p99;
}

function unmeasured(measurement: Exclude<Measurement, Measured>): string {
  return measurement.kind === 'noData' ? `no data: ${measurement.reason}` : `metrics unreachable: ${measurement.reason}`;
}

/** Any fail → fail; else any inconclusive → inconclusive; else pass. The summary lists the deciding reasons. */
function conclude(checks: Check[]): AnalysisResult {
  const failed = checks.filter((check) => check.verdict === 'fail');
  const inconclusive = checks.filter((check) => check.verdict === 'inconclusive');
  if (failed.length > 0) return { verdict: 'fail', checks, summary: reasons(failed) };
  if (inconclusive.length > 0) return { verdict: 'inconclusive', checks, summary: reasons(inconclusive) };
  return { verdict: 'pass', checks, summary: reasons(checks) };
}

function reasons(checks: Check[]): string {
  return checks.map((check) => check.reason).join('; ');
}

/** 0.075 → "7.5 %", 0.01 → "1 %", 1 / 3 → "33.3 %": three significant digits. */
export function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(3))} %`;
}

/** 412 → "412 ms", 228.75 → "228.8 ms": at most one decimal. */
export function ms(milliseconds: number): string {
  return `${Number(milliseconds.toFixed(1))} ms`;
}
