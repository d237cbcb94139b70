import { type MannWhitney, mannWhitney } from './statistics/mann-whitney';
import { type ShiftEstimate, hodgesLehmann } from './statistics/hodges-lehmann';
import { type Counts, type ProportionTest, compareProportions } from './statistics/proportions';
import { type QuantileInterval, quantileInterval } from './statistics/quantile-interval';
import { type CleanSamples, cleanSamples, quantileOfSorted, withoutOutliers } from './statistics/samples';

/**
 * The statistical canary judge: each metric of the canary compared with stable's over the
 * same window (never with a fixed limit), scored by groups into Pass, Marginal or Fail,
 * with every figure behind the verdict kept beside it. Pure: the same samples give the
 * same verdict, in a workflow or a test.
 */

/** Which change of the metric is bad: an error rate or a latency going up (`increase`), a success rate going down (`decrease`). */
export type Direction = 'increase' | 'decrease' | 'either';
/** What a metric without enough data counts as. */
export type NoDataPolicy = 'pass' | 'fail' | 'ignore';

interface MetricConfigBase {
  name: string;
  /** Its group's weight counts it in the score. */
  group: string;
  direction: Direction;
  /** The change tolerated, relative to stable (0.1: 10 %) — a real but small change passes. */
  tolerance: number;
  /** A critical metric that fails fails the canary, whatever the score. */
  critical?: boolean;
  noData: NoDataPolicy;
}

/** Samples of a value per request or per scrape (latency, CPU): compared by rank, and at a tail quantile. */
export interface ValueMetricConfig extends MetricConfigBase {
  kind: 'values';
  /** Also compare this quantile (e.g. 0.99): a change of spread or tail with the same median. */
  tailQuantile?: number;
  /** Drop values outside Tukey's fences before the rank test (never before the tail test). */
  removeOutliers?: boolean;
  /** Fewer samples on either side is no data (default 10). */
  minSamples?: number;
  /**
   * The smallest change that counts, in the metric's own unit, whatever `tolerance` says:
   * on a 1 ms service a 0.5 ms shift is 50 % and still noise (default 0).
   */
  minimumChange?: number;
}

/** Events among trials (errors among requests): compared as proportions. */
export interface CountMetricConfig extends MetricConfigBase {
  kind: 'counts';
  /** Fewer trials on either side is no data (default 100). */
  minTrials?: number;
}

export type MetricConfig = ValueMetricConfig | CountMetricConfig;

export interface JudgeConfig {
  metrics: MetricConfig[];
  /** Weight of each group in the score; they sum to 100. */
  groups: Record<string, number>;
  /** Scores (0–100) at or above which the canary passes, or is marginal (a person decides). */
  thresholds: { pass: number; marginal: number };
  /** The tests' significance level (their intervals are at 1 − alpha). */
  alpha: number;
}

export type MetricSamples = { kind: 'values'; canary: readonly number[]; stable: readonly number[] } | { kind: 'counts'; canary: Counts; stable: Counts };

export type Classification = 'pass' | 'high' | 'low' | 'nodata';

export interface MetricJudgement {
  name: string;
  group: string;
  critical: boolean;
  direction: Direction;
  /** How the canary compares: the same (pass), higher, lower, or not enough data. */
  classification: Classification;
  /** Whether that counts against the canary, given the direction; `nodata` as the no-data policy says. */
  verdict: 'pass' | 'fail' | 'nodata';
  /** The figures behind it, in words. */
  explanation: string;
  samples: { canary: number; stable: number; dropped?: { canary: Dropped; stable: Dropped } };
  mannWhitney?: MannWhitney;
  /** Hodges–Lehmann shift of canary over stable, and that shift relative to stable's median. */
  shift?: ShiftEstimate & { relative: number; stableMedian: number };
  tail?: { canary: QuantileInterval; stable: QuantileInterval };
  proportions?: ProportionTest;
}

type Dropped = Omit<CleanSamples, 'sorted'>;

export interface CanaryJudgement {
  verdict: 'pass' | 'marginal' | 'fail';
  /** 0–100; absent when no metric had data. */
  score?: number;
  groups: { name: string; weight: number; score?: number; passed: number; counted: number }[];
  metrics: MetricJudgement[];
  /** One line: the verdict and what decided it. */
  summary: string;
}

/** Judges one metric: the rank test and shift (and tail) for values, the proportion test for counts. */
export function judgeMetric(config: MetricConfig, samples: MetricSamples, alpha: number): MetricJudgement {
  const base = { name: config.name, group: config.group, critical: config.critical ?? false, direction: config.direction };
  if (config.kind !== samples.kind) throw new Error(`metric ${config.name}: configured as ${config.kind}, measured as ${samples.kind}`);
  const judged = samples.kind === 'values' ? judgeValues(config as ValueMetricConfig, samples, alpha) : judgeCounts(config as CountMetricConfig, samples, alpha);
  const bad = judged.classification === 'high' ? config.direction !== 'decrease' : judged.classification === 'low' ? config.direction !== 'increase' : false;
  const verdict = judged.classification === 'nodata' ? 'nodata' : bad ? 'fail' : 'pass';
  return { ...base, ...judged, verdict };
}

type Judged = Omit<MetricJudgement, 'name' | 'group' | 'critical' | 'direction' | 'verdict'>;

function judgeValues(config: ValueMetricConfig, samples: { canary: readonly number[]; stable: readonly number[] }, alpha: number): Judged {
  const raw = { canary: cleanSamples(samples.canary), stable: cleanSamples(samples.stable) };
  const forRanks = config.removeOutliers ? { canary: withoutOutliers(raw.canary), stable: withoutOutliers(raw.stable) } : raw;
  const dropped = { canary: droppedOf(forRanks.canary), stable: droppedOf(forRanks.stable) };
  const counts = { canary: forRanks.canary.sorted.length, stable: forRanks.stable.sorted.length, ...(anyDropped(dropped) ? { dropped } : {}) };
  const minSamples = config.minSamples ?? 10;
  if (counts.canary < minSamples || counts.stable < minSamples) {
    return { classification: 'nodata', explanation: `not enough samples: canary ${counts.canary}, stable ${counts.stable} (at least ${minSamples} each)`, samples: counts };
  }
  const [canary, stable] = [forRanks.canary.sorted, forRanks.stable.sorted];
  const test = mannWhitney(canary, stable);
  const hl = hodgesLehmann(canary, stable, 1 - alpha);
  const stableMedian = quantileOfSorted(stable, 0.5);
  const relative = stableMedian !== 0 ? hl.estimate / Math.abs(stableMedian) : hl.estimate === 0 ? 0 : Math.sign(hl.estimate) * Number.POSITIVE_INFINITY;
  const significant = test.pValue < alpha;
  const floor = config.minimumChange ?? 0;
  const meaningful = Math.abs(hl.estimate) > floor;
  let classification: Classification =
    significant && meaningful && relative > config.tolerance ? 'high' : significant && meaningful && relative < -config.tolerance ? 'low' : 'pass';
  const parts = [
    `shift ${signed(hl.estimate)} (${percent(relative)} of stable's median ${round(stableMedian)}; ${Math.round((1 - alpha) * 100)} % CI ${round(hl.lower)} to ${round(hl.upper)})`,
    `Mann-Whitney p = ${pValue(test.pValue)}`,
  ];
  let tail: MetricJudgement['tail'];
  if (config.tailQuantile !== undefined) {
    // The tail is read from every value: outlier removal would hide the very change looked for.
    const q = config.tailQuantile;
    tail = { canary: quantileInterval(raw.canary.sorted, q, 1 - alpha), stable: quantileInterval(raw.stable.sorted, q, 1 - alpha) };
    const limit = Math.max(Math.abs(tail.stable.estimate) * config.tolerance, floor);
    const tailHigh = tail.canary.lower > tail.stable.upper && tail.canary.estimate - tail.stable.estimate > limit;
    const tailLow = tail.canary.upper < tail.stable.lower && tail.stable.estimate - tail.canary.estimate > limit;
    parts.push(`p${round(q * 100)} ${round(tail.canary.estimate)} vs ${round(tail.stable.estimate)} (CIs ${round(tail.canary.lower)}–${round(tail.canary.upper)} and ${round(tail.stable.lower)}–${round(tail.stable.upper)})`);
    if (classification === 'pass' && tailHigh) classification = 'high';
    if (classification === 'pass' && tailLow) classification = 'low';
  }
  return {
    classification,
    explanation: `${describe(classification)}: ${parts.join('; ')}; ${counts.canary} vs ${counts.stable} samples`,
    samples: counts,
    mannWhitney: test,
    shift: { ...hl, relative, stableMedian },
    ...(tail ? { tail } : {}),
  };
}

function judgeCounts(config: CountMetricConfig, samples: { canary: Counts; stable: Counts }, alpha: number): Judged {
  const counts = { canary: samples.canary.trials, stable: samples.stable.trials };
  const minTrials = config.minTrials ?? 100;
  if (counts.canary < minTrials || counts.stable < minTrials) {
    return { classification: 'nodata', explanation: `not enough trials: canary ${counts.canary}, stable ${counts.stable} (at least ${minTrials} each)`, samples: counts };
  }
  const test = compareProportions(samples.canary, samples.stable);
  const significant = test.pValue < alpha;
  const classification: Classification =
    significant && test.canaryRate > test.stableRate * (1 + config.tolerance) ? 'high' : significant && test.canaryRate < test.stableRate * (1 - config.tolerance) ? 'low' : 'pass';
  const ratio = Number.isFinite(test.ratio) ? `×${round(test.ratio)}` : 'stable had none';
  return {
    classification,
    explanation: `${describe(classification)}: ${samples.canary.events}/${samples.canary.trials} (${percent(test.canaryRate)}) vs ${samples.stable.events}/${samples.stable.trials} (${percent(test.stableRate)}), ${ratio}; ${test.test === 'fisher-exact' ? "Fisher's exact" : 'two-proportion z'} p = ${pValue(test.pValue)}`,
    samples: counts,
    proportions: test,
  };
}

/**
 * Judges every metric and scores the canary: each group's score is the share of its
 * counted metrics that passed; the canary's is the groups' weighted mean. A failed
 * critical metric fails it whatever the score; no data at all is marginal (a person
 * decides rather than the judge guessing).
 */
export function judgeCanary(config: JudgeConfig, measured: Record<string, MetricSamples | undefined>): CanaryJudgement {
  const metrics = config.metrics.map((m) => {
    const samples = measured[m.name];
    if (samples) return judgeMetric(m, samples, config.alpha);
    return {
      name: m.name,
      group: m.group,
      critical: m.critical ?? false,
      direction: m.direction,
      classification: 'nodata' as const,
      verdict: 'nodata' as const,
      explanation: 'no data: the metrics source returned nothing',
      samples: { canary: 0, stable: 0 },
    };
  });
  const counts = (m: MetricJudgement): 'pass' | 'fail' | undefined => {
    if (m.verdict !== 'nodata') return m.verdict;
    const policy = config.metrics.find((c) => c.name === m.name)!.noData;
    return policy === 'ignore' ? undefined : policy;
  };
  const groups = Object.entries(config.groups).map(([name, weight]) => {
    const counted = metrics.filter((m) => m.group === name).map(counts).filter((c) => c !== undefined);
    const passed = counted.filter((c) => c === 'pass').length;
    return { name, weight, passed, counted: counted.length, ...(counted.length ? { score: (100 * passed) / counted.length } : {}) };
  });
  const scored = groups.filter((g) => g.score !== undefined);
  const weights = scored.reduce((s, g) => s + g.weight, 0);
  const score = scored.length && weights > 0 ? scored.reduce((s, g) => s + g.weight * g.score!, 0) / weights : undefined;
  const criticalFailures = metrics.filter((m) => m.critical && counts(m) === 'fail');
  const failed = metrics.filter((m) => counts(m) === 'fail').map((m) => `${m.name}${m.critical ? ' (critical)' : ''} ${m.explanation}`);

  let verdict: CanaryJudgement['verdict'];
  let because: string;
  if (criticalFailures.length) {
    verdict = 'fail';
    because = `critical metric ${criticalFailures.map((m) => m.name).join(', ')} failed`;
  } else if (score === undefined) {
    verdict = 'marginal';
    because = 'no metric had data';
  } else {
    verdict = score >= config.thresholds.pass ? 'pass' : score >= config.thresholds.marginal ? 'marginal' : 'fail';
    because = `score ${round(score)} (pass ≥ ${config.thresholds.pass}, marginal ≥ ${config.thresholds.marginal})`;
  }
  const summary = `${verdict}: ${because}${failed.length ? ` — ${failed.join('; ')}` : ''}`;
  return { verdict, ...(score !== undefined ? { score } : {}), groups, metrics, summary };
}

/** What is wrong with a judge's configuration, each naming its field and the fix (empty: nothing). `at` prefixes the fields. */
export function judgeConfigProblems(config: JudgeConfig, at = 'judge'): string[] {
  const problems: string[] = [];
  const { pass, marginal } = config.thresholds;
  for (const [name, value] of [['pass', pass], ['marginal', marginal]] as const) {
    if (!(value >= 0 && value <= 100)) problems.push(`${at}.thresholds.${name}: ${value} is not a score from 0 to 100`);
  }
  if (marginal > pass) problems.push(`${at}.thresholds: marginal (${marginal}) is above pass (${pass}); a score cannot be marginal above the pass mark — make marginal ≤ pass`);
  if (!(config.alpha > 0 && config.alpha < 0.5)) problems.push(`${at}.alpha: ${config.alpha} is not a significance level; use a value between 0 and 0.5, e.g. 0.05`);
  const groupNames = Object.keys(config.groups);
  for (const [name, weight] of Object.entries(config.groups)) {
    if (!(weight > 0)) problems.push(`${at}.groups.${name}: weight ${weight} must be above 0 (drop the group to leave it out)`);
  }
  const total = Object.values(config.groups).reduce((s, w) => s + w, 0);
  if (groupNames.length && Math.abs(total - 100) > 1e-9) problems.push(`${at}.groups: the weights sum to ${round(total)}, not 100; make them shares of 100 (e.g. errors: 60, latency: 40)`);
  const seen = new Set<string>();
  config.metrics.forEach((m, i) => {
    const field = `${at}.metrics[${i}]`;
    if (seen.has(m.name)) problems.push(`${field}.name: ${m.name} is judged twice; give each metric one entry`);
    seen.add(m.name);
    if (!groupNames.includes(m.group)) problems.push(`${field}.group: ${m.group} is not a group; declare it under ${at}.groups (has ${groupNames.join(', ') || 'none'})`);
    if (!(m.tolerance >= 0)) problems.push(`${field}.tolerance: ${m.tolerance} must be 0 or more (0.1 tolerates a 10 % change)`);
    if (m.kind === 'values' && m.minimumChange !== undefined && !(m.minimumChange >= 0)) {
      problems.push(`${field}.minimumChange: ${m.minimumChange} must be 0 or more, in the metric's unit`);
    }
    if (m.kind === 'values' && m.tailQuantile !== undefined && !(m.tailQuantile > 0.5 && m.tailQuantile < 1)) {
      problems.push(`${field}.tailQuantile: ${m.tailQuantile} is not a tail quantile; use e.g. 0.95 or 0.99`);
    }
  });
  if (config.metrics.length === 0) problems.push(`${at}.metrics: none; the judge needs at least one metric`);
  return problems;
}

const droppedOf = ({ notANumber, negative, outliers }: CleanSamples): Dropped => ({ notANumber, negative, outliers });
const anyDropped = (d: { canary: Dropped; stable: Dropped }) => [d.canary, d.stable].some((x) => x.notANumber + x.negative + x.outliers > 0);
const describe = (c: Classification) => (c === 'pass' ? 'no meaningful difference' : c === 'high' ? 'canary higher' : c === 'low' ? 'canary lower' : 'no data');
const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));
const signed = (x: number) => (x > 0 ? `+${round(x)}` : round(x));
const percent = (x: number) => (Number.isFinite(x) ? `${Number((x * 100).toPrecision(3))} %` : x > 0 ? '+∞' : '−∞');
const pValue = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
