import { condition } from '@temporalio/workflow';
import { decideChange } from '../policy/change-window';
import { rampChangePolicy } from '../policy/effective-change-policy';
import type { RolloutInput } from '../shared/rollout';
import { rolledBackBy } from './rollout-actions';
import type { RolloutState } from './rollout-state';

/**
 * Before a canary raises traffic, its environment's change policy is asked again: a
 * freeze that began meanwhile (or, when started canaries may not finish into one, a
 * deploy window) holds the canary at its weight until the policy lets it go on. A
 * rollback still ends the hold at once. Returns the rollback's reason when there is one.
 */
export async function holdWhileChangePolicyBlocks(input: RolloutInput, rollout: RolloutState): Promise<string | undefined> {
  if (!input.changePolicy) return undefined;
  const policy = rampChangePolicy(input.changePolicy);
  const request = { service: input.service, environment: input.environment, risk: input.risk ?? 'medium' };
  let held = false;
  for (;;) {
    const decision = decideChange(policy, request, Date.now());
    if (decision.kind === 'allowed') break;
    // A policy that refuses blocked releases still does not abandon a canary half-way: it holds it too.
    const untilMs = decision.kind === 'wait' ? decision.untilMs : undefined;
    if (!held) {
      held = true;
      rollout.record({ kind: 'held', why: `${decision.reasons[0]}; the canary holds ${rollout.status.weights.canary} % until then` });
      rollout.report();
    }
    const rollback = untilMs === undefined ? await condition(() => rollout.rollbackRequest !== undefined) : await condition(() => rollout.rollbackRequest !== undefined, Math.max(1, untilMs - Date.now()));
    if (rollback || rollout.rollbackRequest) return rolledBackBy(rollout.rollbackRequest!);
  }
  if (held) {
    rollout.record({ kind: 'resumed', phase: 'progressing' });
    rollout.report();
  }
  return undefined;
}
