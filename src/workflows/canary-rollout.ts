import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { analyse } from '../policy/analysis';
import { canaryPlan } from '../policy/rollout-plan';
import { decide, decisionReason, emptyTally, recordAnalysis, resumedTally } from '../policy/rollout-verdict';
import { repeatedCheck, soakExtension, waitBeforeCheckMs } from '../policy/soak';
import type { Instance } from '../shared/release';
import type { RolloutInput, RolloutResult } from '../shared/rollout';
import { measuring } from './activity-stubs';
import {
  awaitMetricsSource,
  commitAndPromote,
  holdBeforeTrafficMoves,
  prepareRollout,
  rollBack,
  rolledBack,
  rolledBackBy,
  setSplit,
  startNewVersion,
  waitWhilePaused,
} from './rollout-actions';
import { RolloutState } from './rollout-state';

/**
 * Canary: the new version takes a growing share of traffic, step by step (by default
 * 5 → 10 → 50 → 100 %). Every step soaks for its time while the new version is analysed
 * against stable every interval; enough failed checks roll it back with no human, too
 * many inconclusive ones pause and ask a human. People may pause, resume, promote (end
 * this soak), promote fully (100 % now) or roll back. At 100 % the canary becomes stable
 * and the old version is retired. Rollback always completes and leaves stable at 100 %.
 *
 * A step advances only after its planned number of checks have passed: a check that
 * failed (below the failure limit) or could not judge is made again, and time without a
 * worker extends the soak instead of counting as watched. Traffic moves only
 * once the metrics source answers, and a promotion, once committed, always completes.
 */
export async function canaryRolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const rollout = new RolloutState(input, 'canary');
  const { stable, newId: canaryId } = await prepareRollout(input, rollout);
  try {
    const canary = await startNewVersion(input);
    if (!stable) {
      // Nothing to compare against: the first version of a service takes all traffic.
      return await commitAndPromote(input, rollout, canary, undefined, 'no stable version yet: the first release takes all traffic');
    }
    const metricsDown = await awaitMetricsSource(input, rollout, input.canary.interval);
    if (metricsDown) return await rolledBack(input, rollout, stable, canary, metricsDown);
    const result = await runSteps(input, rollout, stable, canary);
    if (result.outcome === 'promoted') return await commitAndPromote(input, rollout, canary, stable);
    return result;
  } catch (err) {
    const reason = isCancellation(err) ? 'the release was aborted' : `the rollout failed: ${(err as Error).message}`;
    await CancellationScope.nonCancellable(() => rollBack(input, rollout, stable, canaryId, reason));
    throw err;
  }
}

async function runSteps(input: RolloutInput, rollout: RolloutState, stable: Instance, canary: Instance): Promise<RolloutResult> {
  const rules = input.canary.analysis;
  let tally = emptyTally();
  const plan = canaryPlan(input.canary);
  for (let index = 0; index < plan.length; index++) {
    const step = plan[index];
    const refused = await holdBeforeTrafficMoves(rollout, 'progressing');
    if (refused) return rolledBack(input, rollout, stable, canary, refused);
    rollout.status.step = index;
    await setSplit(input, rollout, stable, canary, step.weight);
    if (step.weight >= 100 || rollout.promoteRequest?.full) break;
    rollout.status.phase = 'progressing';
    const interval = input.canary.interval;
    let done = 0;
    let waitLeftMs = waitBeforeCheckMs(step.soakMs, interval, done);
    rollout.status.soak = { planned: step.checks, done };
    while (done < step.checks) {
      const dueAt = Date.now() + waitLeftMs;
      rollout.status.nextCheckAt = new Date(dueAt).toISOString();
      rollout.report();
      const started = Date.now();
      await condition(() => rollout.paused || rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined, waitLeftMs);

      if (rollout.rollbackRequest) return rolledBack(input, rollout, stable, canary, rolledBackBy(rollout.rollbackRequest));
      if (rollout.promoteRequest) break;
      if (rollout.paused) {
        // The soak resumes where it stopped: paused time does not count.
        waitLeftMs = Math.max(0, waitLeftMs - (Date.now() - started));
        await waitWhilePaused(rollout);
        continue;
      }
      const extended = soakExtension(dueAt, Date.now(), interval);
      const [canaryMeasure, stableMeasure] = await Promise.all([
        measuring.measure({ service: input.service, environment: input.environment, version: canary.artifact.version, role: 'canary', windowMs: interval, metrics: input.metrics }),
        measuring.measure({ service: input.service, environment: input.environment, version: stable.artifact.version, role: 'stable', windowMs: interval, metrics: input.metrics }),
      ]);
      const result = analyse(canaryMeasure, stableMeasure, rules);
      rollout.status.analyses.push({ at: rollout.now(), weight: step.weight, verdict: result.verdict, summary: result.summary });
      // Only a passing check counts: one that failed or could not judge is made again.
      if (result.verdict === 'pass') done += 1;
      const repeated = result.verdict === 'pass' ? undefined : repeatedCheck(result.verdict, result.summary);
      rollout.status.soak = { planned: step.checks, done, extended: repeated ?? extended ?? rollout.status.soak?.extended };
      waitLeftMs = waitBeforeCheckMs(step.soakMs, interval, done);
      tally = recordAnalysis(tally, result);
      const next = decide(tally, rules);
      if (next === 'rollback') return rolledBack(input, rollout, stable, canary, `canary at ${step.weight} %: ${decisionReason(next, tally, rules, result)}`);
      if (next === 'pause') {
        rollout.paused = true;
        rollout.status.pausedBecause = `${decisionReason(next, tally, rules, result)}; resume, promote or roll back`;
        await waitWhilePaused(rollout);
        tally = resumedTally(tally);
      }
    }
    rollout.status.nextCheckAt = undefined;
    if (rollout.promoteRequest?.full) break;
    rollout.promoteRequest = undefined; // a plain promote ends only the current soak
  }
  return { outcome: 'promoted', status: rollout.status };
}

