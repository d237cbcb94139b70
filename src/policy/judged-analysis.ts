import type { JudgeSettings } from '../config/judge-settings';
import type { Measurement } from '../contracts/measurements';
import { type AnalysisResult, type Check, percent } from './analysis';
import { type CanaryJudgement, type JudgeConfig, type MetricConfig, type MetricSamples, judgeCanary } from './canary-judge';

/**
 * One soak check judged by the statistical judge rather than by fixed limits: the
 * candidate's window against stable's over the same window. Pure.
 *
 * What the rollout does with it:
 * - Pass: the check passed; the soak goes on by itself.
 * - Fail: rolled back at once (the tests already weigh the noise a failure limit would).
 * - Marginal: the rollout pauses with the figures in its status, and a person decides.
 * - No metric had data (too little traffic): inconclusive, counted like any inconclusive
 *   check (the rollout pauses after `inconclusiveLimit` of them in a row).
 * - A measurement that could not be made: inconclusive, as with fixed limits.
 */
export interface JudgedCheck {
  result: AnalysisResult;
  judgement?: CanaryJudgement;
  /** What the verdict decides by itself; undefined: the tally of checks decides, as with fixed limits. */
  decision?: 'rollback' | 'pause';
}

/** Latencies compared per side at most; a busier window is thinned in proportion (the shape is kept, the tests only grow more cautious). */
export const MAX_LATENCY_SAMPLES = 20_000;

export function judgeCheck(candidate: Measurement, baseline: Measurement | undefined, settings: JudgeSettings): JudgedCheck {
  if (candidate.kind !== 'value') {
    return inconclusive(`no measurement of the new version: ${candidate.kind === 'noData' ? 'no data' : 'metrics unreachable'}: ${candidate.reason}`);
  }
  if (baseline === undefined) return inconclusive('no stable version to compare with');
  if (baseline.kind !== 'value') {
    return inconclusive(`no measurement of stable (${baseline.kind === 'noData' ? 'no data' : 'metrics unreachable'}: ${baseline.reason})`);
  }
  const judgement = judgeCanary(judgeConfigOf(settings), samplesOf(candidate, baseline));
  const checks = checksOf(judgement, candidate);
  if (judgement.score === undefined) return { result: { verdict: 'inconclusive', checks, summary: judgement.summary }, judgement };
  switch (judgement.verdict) {
    case 'pass':
      return { result: { verdict: 'pass', checks, summary: judgement.summary }, judgement };
    case 'fail':
      return { result: { verdict: 'fail', checks, summary: judgement.summary }, judgement, decision: 'rollback' };
    case 'marginal':
      return { result: { verdict: 'inconclusive', checks, summary: judgement.summary }, judgement, decision: 'pause' };
  }
}

/** The judge's configuration from the catalogue's settings: a group of weight 0 is left out with its metric. */
export function judgeConfigOf(settings: JudgeSettings): JudgeConfig {
  const metrics: MetricConfig[] = [];
  const groups: Record<string, number> = {};
  if (settings.groups.errors > 0) {
    const e = settings.errors;
    groups.errors = settings.groups.errors;
    metrics.push({ kind: 'counts', name: 'errors', group: 'errors', direction: 'increase', tolerance: e.tolerance, critical: e.critical, noData: e.noData, minTrials: e.minRequests });
  }
  if (settings.groups.latency > 0) {
    const l = settings.latency;
    groups.latency = settings.groups.latency;
    metrics.push({
      kind: 'values',
      name: 'latency',
      group: 'latency',
      direction: 'increase',
      tolerance: l.tolerance,
      minimumChange: l.toleranceMs,
      critical: l.critical,
      noData: l.noData,
      tailQuantile: l.tailQuantile,
      removeOutliers: l.removeOutliers,
      minSamples: l.minSamples,
    });
  }
  return { metrics, groups, thresholds: settings.thresholds, alpha: settings.alpha };
}

type Measured = Extract<Measurement, { kind: 'value' }>;

/** What each metric compares: error counts always; latencies when the source kept a histogram of them. */
export function samplesOf(candidate: Measured, baseline: Measured): Record<string, MetricSamples | undefined> {
  const latency =
    candidate.latencyHistogram && baseline.latencyHistogram
      ? { kind: 'values' as const, canary: expandHistogram(candidate.latencyHistogram), stable: expandHistogram(baseline.latencyHistogram) }
      : undefined;
  return {
    errors: { kind: 'counts', canary: { events: candidate.errors, trials: candidate.requests }, stable: { events: baseline.errors, trials: baseline.requests } },
    latency,
  };
}

/** [ms, count] pairs as that many values of ms each, thinned in proportion above {@link MAX_LATENCY_SAMPLES}. */
export function expandHistogram(pairs: ReadonlyArray<readonly [number, number]>, max = MAX_LATENCY_SAMPLES): number[] {
  const total = pairs.reduce((sum, [, count]) => sum + count, 0);
  const scale = total > max ? max / total : 1;
  const values: number[] = [];
  for (const [ms, count] of pairs) {
    const kept = Math.round(count * scale);
    for (let i = 0; i < kept; i++) values.push(ms);
  }
  return values;
}

/** The judgement as the checks a status lists: one per metric, its explanation as the reason. */
function checksOf(judgement: CanaryJudgement, candidate: Measured): Check[] {
  return judgement.metrics.map((metric): Check => {
    const verdict = metric.verdict === 'nodata' ? 'skipped' : metric.verdict;
    if (metric.name === 'errors') {
      return { metric: 'errorRate', value: candidate.errorRate, verdict, reason: `errors: ${metric.explanation}` };
    }
    return { metric: 'latencyP99', ...(candidate.latencyMs.p99 !== undefined ? { value: candidate.latencyMs.p99 } : {}), verdict, reason: `latency: ${metric.explanation}` };
  });
}

function inconclusive(reason: string): JudgedCheck {
  return { result: { verdict: 'inconclusive', checks: [{ metric: 'requests', verdict: 'inconclusive', reason }], summary: reason } };
}

/** "errors 30 % vs 0.1 %" — the deciding figure of a stopped canary, for its rollback reason. */
export function errorRates(canary: { events: number; trials: number }, stable: { events: number; trials: number }): string {
  const rate = (c: { events: number; trials: number }) => (c.trials > 0 ? percent(c.events / c.trials) : 'n/a');
  return `errors ${rate(canary)} (${canary.events}/${canary.trials}) vs stable ${rate(stable)} (${stable.events}/${stable.trials})`;
}
