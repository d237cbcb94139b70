import { CancellationScope, isCancellation } from '@temporalio/workflow';
import { canaryPlan } from '../policy/rollout-plan';
import { emptyTally } from '../policy/rollout-verdict';
import type { Instance } from '../shared/release';
import type { RolloutInput, RolloutResult } from '../shared/rollout';
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
} from './rollout-actions';
import { RolloutState } from './rollout-state';
import { storedAtTheEnd } from './audit-outbox';
import { onRolloutHost } from './rollout-host';
import { soakAndAnalyse } from './soak-and-analyse';
import { holdWhileChangePolicyBlocks } from './ramp-change-hold';

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
  // However it ends, the rollout's record reaches the audit store before the release hears of it.
  return storedAtTheEnd(rollout.decisions.outbox, () => runCanary(input, rollout), (what) => rollout.waitForAuditStore(what));
}

async function runCanary(input: RolloutInput, rollout: RolloutState): Promise<RolloutResult> {
  const { stable, newId: canaryId } = await prepareRollout(input, rollout);
  try {
    const canary = await startNewVersion(input, rollout);
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
  const { service, environment, metrics } = input;
  // One tally for the whole rollout: failures at one step still count at the next.
  let tally = emptyTally();
  const plan = canaryPlan(input.canary);
  for (let index = 0; index < plan.length; index++) {
    const step = plan[index];
    // A step after the first raises traffic: the change policy has its say again (a pause
    // that arrives while it holds is honoured right after).
    const frozen = index > 0 ? await holdWhileChangePolicyBlocks(input, rollout) : undefined;
    if (frozen) return rolledBack(input, rollout, stable, canary, frozen);
    const refused = await holdBeforeTrafficMoves(rollout, 'progressing');
    if (refused) return rolledBack(input, rollout, stable, canary, refused);
    await setSplit(input, rollout, stable, canary, step.weight, index);
    if (step.weight >= 100 || rollout.promoteRequest?.full) break;
    const soak = await soakAndAnalyse(rollout, {
      subject: { service, environment, metrics, candidate: canary.artifact.version, baseline: stable.artifact.version },
      durationMs: step.soakMs,
      intervalMs: input.canary.interval,
      phase: 'progressing',
      weight: step.weight,
      rules: input.canary.analysis,
      // A step advances only after its planned checks have passed.
      counts: 'passes',
      tally,
      measuring: onRolloutHost(input, rollout).measuring,
      watching: onRolloutHost(input, rollout).watching,
    });
    tally = soak.tally;
    if (soak.ended === 'rollback_requested') return rolledBack(input, rollout, stable, canary, rolledBackBy(soak.request));
    if (soak.ended === 'failed') return rolledBack(input, rollout, stable, canary, `canary at ${step.weight} %: ${soak.reason}`);
    if (rollout.promoteRequest?.full) break;
    rollout.promoteRequest = undefined; // a plain promote ends only the current soak
  }
  return { outcome: 'promoted', status: rollout.status };
}
