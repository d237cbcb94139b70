import type { RolloutInput } from '../shared/rollout';
import type { ActivityStubs } from './activity-stubs';
import { activitiesOn } from './host-activities';
import { rolloutHostWatch } from './host-watches';
import type { RolloutState } from './rollout-state';

/**
 * A rollout's runtime, router and measurement work goes to the host that runs its
 * environment (the release placed it and passed it in); a host that does not answer
 * shows in the rollout's status. Rollouts started before hosts existed have no
 * placement and use the shared queue, as they did.
 */
export function onRolloutHost(input: RolloutInput, rollout: Pick<RolloutState, 'status' | 'report' | 'record'>): ActivityStubs {
  return activitiesOn(input.placement, rolloutHostWatch(rollout));
}
