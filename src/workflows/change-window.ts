import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { effectiveChangePolicy } from '../policy/effective-change-policy';
import { decideChange } from '../policy/change-window';
import { FAILURE_TYPE } from '../policy/outcome';
import type { ReleaseState } from './release-state';

/**
 * Before a release enters an environment, the change policy says whether it may now:
 * when a deploy window, a holiday or a freeze holds it, it waits on a durable timer until
 * the policy lets it in (over a weekend or a three-week freeze, through worker restarts)
 * and goes on by itself; a policy that refuses blocked releases ends it `refused`. The
 * wait is in the status, the UI's details and the GantryHold search attribute.
 */
export async function awaitChangeWindow(release: ReleaseState, environment: string): Promise<void> {
  const { config } = release;
  const policy = effectiveChangePolicy(config.changePolicy, environment, config.environments[environment].changePolicy);
  if (!policy) return;
  const request = { service: release.input.service, environment, risk: release.input.risk ?? 'medium' };
  let held = false;
  for (;;) {
    const decision = decideChange(policy, request, Date.now());
    if (decision.kind === 'allowed') break;
    if (decision.kind === 'refused') {
      throw ApplicationFailure.create({ type: FAILURE_TYPE.refused, nonRetryable: true, message: decision.reason });
    }
    held = true;
    release.record({
      kind: 'change_held',
      environment,
      until: new Date(decision.untilMs).toISOString(),
      untilLocal: decision.until,
      hold: decision.hold,
      reasons: decision.reasons,
    });
    // The policy is asked again when the timer fires: the answer holds for the definition
    // the release was admitted with, so it is the same unless the clock says otherwise.
    await sleep(Math.max(1, decision.untilMs - Date.now()));
  }
  if (held) release.record({ kind: 'change_allowed', environment });
}
