import { CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';
import type { JudgeSettings } from '../config/judge-settings';
import type { MetricsSourceConfig } from '../config/progressive-delivery';
import { type AnalysisRules, analyse } from '../policy/analysis';
import type { CanaryJudgement } from '../policy/canary-judge';
import { startEvidence } from '../policy/early-stop-signals';
import { judgeCheck } from '../policy/judged-analysis';
import { earlyStopFigures } from '../policy/rollout-projection';
import { checksIn } from '../policy/rollout-plan';
import { type AnalysisTally, type DecisionRules, type Judge, type Judgement, judge as byPolicy, resumedTally } from '../policy/rollout-verdict';
import type { Measurement } from '../contracts/measurements';
import { repeatedCheck, soakExtension, waitBeforeCheckMs } from '../policy/soak';
import type { RolloutPhase, SteerPayload } from '../shared/rollout';
import { type ActivityStubs, measuring, watching } from './activity-stubs';
import type { EarlyStopWatchResult } from '../activities/early-stop-watch';
import { waitWhilePaused } from './rollout-actions';
import type { SteeredRollout } from './rollout-state';

/**
 * The soak-and-analyse stage every progressive strategy runs: watch a new version for a
 * while, measuring it every interval and judging each analysis by the verdict policy,
 * until the soak has its checks, the policy rolls back, or a person ends it. What the
 * strategies differ in comes in as options: what is measured against what, how long,
 * which rules, and whether a check that did not pass is made again.
 *
 * Steering, checked whenever the soak wakes (each check is due, or a message arrived):
 * a rollback request ends the soak at once; a promote ends it (the caller reads
 * `promoteRequest` for how far); a pause holds it, and paused time does not count
 * towards the soak. The policy may pause it too (too many inconclusive checks): it holds
 * until a person resumes, promotes or rolls back, and the run of inconclusive checks
 * they looked at no longer counts.
 *
 * Time without a worker extends the soak instead of counting as watched: the soak is
 * judged by its number of checks (ceil(duration / interval)), not by the clock.
 */

/** What a soak measures: the version under watch, and the one it is compared with. */
export interface SoakSubject {
  service: string;
  environment: string;
  metrics: MetricsSourceConfig;
  /** The version being soaked, measured in the role `canary`. */
  candidate: string;
  /** The version it is judged against (role `stable`); none when it serves nothing, so only the candidate's own limits apply. */
  baseline?: string;
}

export interface SoakOptions {
  subject: SoakSubject;
  /** How long the soak watches, in ms; 0 means no check at all. */
  durationMs: number;
  /** How often it measures, in ms; also each measurement's window. */
  intervalMs: number;
  /** The rollout's phase while it soaks, and again after a pause. */
  phase: RolloutPhase;
  /** The candidate's share of traffic during the soak, recorded with each analysis. */
  weight: number;
  /** What an analysis holds the candidate to, and when the verdicts roll back or pause; with `judge`, the statistical judge decides instead of the limits. */
  rules: AnalysisRules & DecisionRules & { judge?: JudgeSettings };
  /**
   * Which checks count towards the planned number: `passes` (a check that failed below
   * the limit, or could not judge, is made again, so the soak ends only after all its
   * checks passed) or `all` (the soak is a window of time, each check counts once).
   */
  counts: 'passes' | 'all';
  /** The tally the soak starts from: a rollout whose soaks judge one version carries it from soak to soak. */
  tally: AnalysisTally;
  /** How each analysis is judged: the verdict policy unless a recorded run needs the rule it started with. */
  judge?: Judge;
  /** Where measurements are taken: the stubs of the environment's host (default: the shared queue). */
  measuring?: ActivityStubs['measuring'];
  /** Where the early stop watches (the environment's host, like measuring; default: the shared queue). */
  watching?: ActivityStubs['watching'];
}

/** How a soak ended, with the tally it left for the next soak. */
export type SoakEnd = { tally: AnalysisTally } & (
  | { ended: 'passed' }
  | { ended: 'promoted' }
  | { ended: 'failed'; reason: string; early?: boolean }
  | { ended: 'rollback_requested'; request: SteerPayload }
);

export async function soakAndAnalyse(rollout: SteeredRollout, options: SoakOptions): Promise<SoakEnd> {
  const { durationMs, intervalMs, rules } = options;
  const judge = options.judge ?? byPolicy;
  const planned = checksIn(durationMs, intervalMs);
  let tally = options.tally;
  let done = 0;
  let waitLeftMs = waitBeforeCheckMs(durationMs, intervalMs, done);
  let promoted = false;
  rollout.record({ kind: 'phase', phase: options.phase });
  rollout.observeSoak({ nextCheckAt: rollout.status.nextCheckAt, soak: { planned, done } });
  while (done < planned) {
    const dueAt = Date.now() + waitLeftMs;
    rollout.observeSoak({ nextCheckAt: new Date(dueAt).toISOString() });
    rollout.report();
    const started = Date.now();
    const watch = earlyStopWatch(rollout, options, waitLeftMs);
    await condition(() => rollout.paused || rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined || watch?.stopped() !== undefined, waitLeftMs);
    const stopped = await watch?.end();

    if (rollout.rollbackRequest) return { ended: 'rollback_requested', request: rollout.rollbackRequest, tally };
    if (stopped) return { ended: 'failed', reason: stopped, tally, early: true };
    if (rollout.promoteRequest) {
      promoted = true;
      break;
    }
    if (rollout.paused) {
      // The soak resumes where it stopped: paused time does not count.
      waitLeftMs = Math.max(0, waitLeftMs - (Date.now() - started));
      await waitWhilePaused(rollout, options.phase);
      continue;
    }
    const extended = soakExtension(dueAt, Date.now(), intervalMs);
    const { result, measurements, judgement, decision } = await measureAndAnalyse(options.subject, intervalMs, rules, options.measuring);
    const judged = overruled(judge(tally, result, rules), decision, result.summary);
    rollout.record({
      kind: 'analysis',
      weight: options.weight,
      verdict: result.verdict,
      summary: result.summary,
      checks: result.checks,
      measurements,
      decision: judged.decision,
      ...(judgement ? { judgement } : {}),
    });
    const counted = options.counts === 'all' || result.verdict === 'pass';
    if (counted) done += 1;
    const repeated = counted || result.verdict === 'pass' ? undefined : repeatedCheck(result.verdict, result.summary);
    rollout.observeSoak({ nextCheckAt: rollout.status.nextCheckAt, soak: { planned, done, extended: repeated ?? extended ?? rollout.status.soak?.extended } });
    waitLeftMs = waitBeforeCheckMs(durationMs, intervalMs, done);
    tally = judged.tally;
    if (judged.decision === 'rollback') return { ended: 'failed', reason: judged.reason ?? result.summary, tally };
    if (judged.decision === 'pause') {
      rollout.paused = true;
      await waitWhilePaused(rollout, options.phase, `${judged.reason ?? result.summary}; resume, promote or roll back`);
      tally = resumedTally(tally);
    }
  }
  rollout.observeSoak({ nextCheckAt: undefined });
  return { ended: promoted ? 'promoted' : 'passed', tally };
}

/**
 * One check: the candidate (and its baseline, at the same time) over the last interval,
 * judged against the rules, or by the statistical judge when the rules name one and
 * there is a baseline to compare with (blue kept after a switch serves nothing: green is
 * then held to the limits).
 */
async function measureAndAnalyse(
  subject: SoakSubject,
  windowMs: number,
  rules: SoakOptions['rules'],
  measurer: ActivityStubs['measuring'] = measuring,
): Promise<{ result: ReturnType<typeof analyse>; measurements: { candidate: Measurement; baseline?: Measurement }; judgement?: CanaryJudgement; decision?: 'rollback' | 'pause' }> {
  const { service, environment, metrics } = subject;
  const [candidate, baseline] = await Promise.all([
    measurer.measure({ service, environment, version: subject.candidate, role: 'canary', windowMs, metrics }),
    subject.baseline === undefined ? undefined : measurer.measure({ service, environment, version: subject.baseline, role: 'stable', windowMs, metrics }),
  ]);
  const measurements = { candidate, ...(baseline ? { baseline } : {}) };
  if (rules.judge && baseline) {
    const { result, judgement, decision } = judgeCheck(candidate, baseline, rules.judge);
    return { result, measurements, ...(judgement ? { judgement } : {}), ...(decision ? { decision } : {}) };
  }
  return { result: analyse(candidate, baseline, rules), measurements };
}

/** The judge's own decision wins over the tally's: its Fail rolls back, its Marginal asks a person. */
function overruled(judged: Judgement, decision: 'rollback' | 'pause' | undefined, summary: string): Judgement {
  if (decision === undefined || judged.decision === 'rollback') return judged;
  const reason = decision === 'rollback' ? `the judge failed the canary: ${summary}` : `the judge found the canary marginal (a person decides): ${summary}`;
  return { ...judged, decision, reason };
}

/** A running early-stop watch: whether it stopped the canary yet, and a way to end it that says why it stopped, if it did. */
interface RunningWatch {
  stopped(): string | undefined;
  end(): Promise<string | undefined>;
}

/**
 * Starts the early stop's watch for the time the soak waits, when the judge asks for it
 * and there is a stable version whose traffic the embedded router counts beside the
 * canary's (its per-second counts make each look exact; other sources answer over a
 * sliding window, and are judged at the interval only). The evidence is carried from
 * watch to watch in the rollout: one sequential test for the whole rollout.
 */
function earlyStopWatch(rollout: SteeredRollout, options: SoakOptions, forMs: number): RunningWatch | undefined {
  const settings = options.rules.judge?.earlyStop;
  const { subject } = options;
  if (!settings || subject.baseline === undefined || subject.metrics.kind !== 'embedded' || forMs <= 0) return undefined;
  const stub = options.watching ?? watching;
  const scope = new CancellationScope();
  let stopped: string | undefined;
  const running = scope
    .run(() =>
      stub.watchForEarlyStop({
        service: subject.service,
        environment: subject.environment,
        metrics: subject.metrics,
        candidate: subject.candidate,
        baseline: subject.baseline as string,
        forMs,
        everyMs: settings.every,
        alpha: settings.alpha,
        tolerance: settings.tolerance,
        referenceWindowMs: options.intervalMs,
        latencyToleranceMs: options.rules.judge?.latency.toleranceMs ?? 10,
        evidence: rollout.earlyStop ?? startEvidence(),
      }),
    )
    .then(
      (result: EarlyStopWatchResult) => {
        rollout.earlyStop = result.evidence;
        if (result.stopped) stopped = recordEarlyStop(rollout, options.weight, settings.alpha, result.stopped);
      },
      (err: unknown) => {
        // A cancelled watch ended with the wait; a failed one only loses the early stop for this interval (the check still judges it).
        if (!isCancellation(err)) log.warn('the early stop could not watch this interval', { error: err instanceof Error ? err.message : String(err) });
      },
    );
  return {
    stopped: () => stopped,
    async end() {
      // At the check's due time the watch ends by itself (its evidence is kept); any other wake-up cancels it.
      if (!rollout.paused && rollout.promoteRequest === undefined && rollout.rollbackRequest === undefined) {
        await running;
        return stopped;
      }
      scope.cancel();
      await running;
      return stopped;
    },
  };
}

function recordEarlyStop(rollout: SteeredRollout, weight: number, alpha: number, stop: NonNullable<EarlyStopWatchResult['stopped']>): string {
  const event = {
    kind: 'early_stop' as const,
    weight,
    signal: stop.signal,
    ...(stop.slowerThanMs !== undefined ? { slowerThanMs: stop.slowerThanMs } : {}),
    evidence: stop.evidence,
    alwaysValidP: stop.alwaysValidP,
    // Each of the two tests runs at half the alpha asked for.
    alpha: alpha / 2,
    canaryEvents: stop.canaryEvents,
    stableEvents: stop.stableEvents,
    canary: stop.canary,
    stable: stop.stable,
    afterMs: stop.afterMs,
    summary: '',
  };
  const [evidence] = earlyStopFigures(event);
  const what = stop.signal === 'errors' ? 'errors' : `requests slower than ${stop.slowerThanMs} ms`;
  const summary = `early stop: the canary's ${what} are conclusively above stable's (${evidence})`;
  rollout.record({ ...event, summary });
  return summary;
}
