import { exceptionMayPass } from '../policy/change-exceptions';
import { patched } from '@temporalio/workflow';
import { rampChangePolicy } from '../policy/effective-change-policy';
import type { RolloutInput } from '../shared/rollout';
import { CalendarWatch, waitForChangeWindow } from './change-window';
import { rolledBackBy } from './rollout-actions';
import type { RolloutState } from './rollout-state';

/**
 * Before a canary raises traffic, the change policy of its environment and the change
 * calendar are asked again: a freeze that began meanwhile, planned or declared during an
 * incident (or, when started canaries may not finish into one, a deploy window), holds
 * the canary at its weight until it lifts. A rollback still ends the hold at once; a
 * policy that refuses blocked releases holds a canary half-way too rather than abandon
 * it. An approved emergency passes every hold; a process owner's override the one
 * holding it now. Returns the rollback's reason when there is one.
 */
export async function holdWhileChangePolicyBlocks(input: RolloutInput, rollout: RolloutState): Promise<string | undefined> {
  // Rollouts recorded before the change calendar existed consulted only their policy.
  const watch = patched('change-calendar') ? (rollout.calendarWatch ??= new CalendarWatch()) : undefined;
  const policy = input.changePolicy ? { ...rampChangePolicy(input.changePolicy), whenBlocked: 'wait' as const } : undefined;
  if (!policy && !watch) return undefined;
  const request = { service: input.service, environment: input.environment, risk: input.risk ?? 'medium', version: input.version };
  let held = false;
  const result = await waitForChangeWindow(
    policy,
    request,
    watch,
    (decision) => {
      if (held) return;
      held = true;
      rollout.record({ kind: 'held', why: `${decision.reasons[0]}; the canary holds ${rollout.status.weights.canary} % until then`, ...(exceptionMayPass(decision.hold) ? { changeGate: true } : {}) });
      rollout.report();
    },
    { stop: () => rollout.rollbackRequest !== undefined, exception: () => rollout.changeException() },
  );
  if (rollout.rollbackRequest) return rolledBackBy(rollout.rollbackRequest);
  if (result.kind === 'excepted') {
    const { exception, by, reason, ticket } = result.exception;
    // An override passes this one step; an approved emergency passes every step.
    if (exception === 'override') rollout.override = undefined;
    rollout.record({ kind: 'change_excepted', exception, by, reason, ...(ticket ? { ticket } : {}), weight: rollout.status.weights.canary, passed: result.passed });
  }
  if ((result.kind === 'allowed' || result.kind === 'excepted') && result.waited) {
    rollout.record({ kind: 'resumed', phase: 'progressing' });
    rollout.report();
  }
  return undefined;
}
