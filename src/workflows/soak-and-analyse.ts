import { condition } from '@temporalio/workflow';
import type { MetricsSourceConfig } from '../config/progressive-delivery';
import { type AnalysisRules, analyse } from '../policy/analysis';
import { checksIn } from '../policy/rollout-plan';
import { type AnalysisTally, type DecisionRules, type Judge, judge as byPolicy, resumedTally } from '../policy/rollout-verdict';
import { repeatedCheck, soakExtension, waitBeforeCheckMs } from '../policy/soak';
import type { RolloutPhase, SteerPayload } from '../shared/rollout';
import { type ActivityStubs, measuring } from './activity-stubs';
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
  /** What an analysis holds the candidate to, and when the verdicts roll back or pause. */
  rules: AnalysisRules & DecisionRules;
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
}

/** How a soak ended, with the tally it left for the next soak. */
export type SoakEnd = { tally: AnalysisTally } & (
  | { ended: 'passed' }
  | { ended: 'promoted' }
  | { ended: 'failed'; reason: string }
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
    await condition(() => rollout.paused || rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined, waitLeftMs);

    if (rollout.rollbackRequest) return { ended: 'rollback_requested', request: rollout.rollbackRequest, tally };
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
    const { result, measurements } = await measureAndAnalyse(options.subject, intervalMs, rules, options.measuring);
    const judged = judge(tally, result, rules);
    rollout.record({
      kind: 'analysis',
      weight: options.weight,
      verdict: result.verdict,
      summary: result.summary,
      checks: result.checks,
      measurements,
      decision: judged.decision,
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

/** One check: the candidate (and its baseline, at the same time) over the last interval, judged against the rules. */
async function measureAndAnalyse(subject: SoakSubject, windowMs: number, rules: AnalysisRules, measurer: ActivityStubs['measuring'] = measuring) {
  const { service, environment, metrics } = subject;
  const [candidate, baseline] = await Promise.all([
    measurer.measure({ service, environment, version: subject.candidate, role: 'canary', windowMs, metrics }),
    subject.baseline === undefined ? undefined : measurer.measure({ service, environment, version: subject.baseline, role: 'stable', windowMs, metrics }),
  ]);
  return { result: analyse(candidate, baseline, rules), measurements: { candidate, ...(baseline ? { baseline } : {}) } };
}
