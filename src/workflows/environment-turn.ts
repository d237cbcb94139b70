import { CancellationScope, condition, getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { environmentLockWorkflowId } from '../shared/ids';
import { lockReleaseSignal } from '../shared/messages';
import { control } from './activity-stubs';
import type { ReleaseState } from './release-state';

/**
 * Runs `work` while this release holds its turn on the service's environment, so two
 * releases of one service never deploy to the same environment at once. A release that
 * has to wait says so in its status (and the UI) until its turn comes.
 */
/** How often a release waiting for its turn asks the environment again. */
const TURN_REQUEST_INTERVAL = '1 minute';

export async function withEnvironmentTurn<T>(release: ReleaseState, environment: string, work: () => Promise<T>): Promise<T> {
  const { service } = release.input;
  const me = { workflowId: workflowInfo().workflowId, runId: workflowInfo().runId };
  release.waitFor(`its turn to deploy to ${environment}`);
  const requested = await control.requestLock({
    lockId: environmentLockWorkflowId(service, environment),
    requester: me,
    ...(release.entities ? { entity: { service, environment } } : {}),
  });
  // The entity's ID comes back from the activity (it depends on the worker's task queue),
  // so replay reads it from the history; a lock workflow's ID is the one asked for.
  const lockId = release.entities ? requested.lockId : environmentLockWorkflowId(service, environment);
  if (release.entities) release.environmentIds[environment] = lockId;
  const { holder, waiting } = requested;
  if (!release.grantedLocks.has(lockId) && holder && holder.workflowId !== me.workflowId) {
    release.waitFor(`its turn to deploy to ${environment}: ${holder.workflowId} is deploying there (${waiting} waiting)`);
  }
  if (release.entities) {
    // Asked again now and then: an entity terminated by hand is started again by the
    // request (its record is lost, its queue rebuilt by the releases still waiting). No
    // timer when the turn is already granted: a timer started and cancelled in one
    // activation leaves no event, which replay does not reproduce.
    while (!release.grantedLocks.has(lockId) && !(await condition(() => release.grantedLocks.has(lockId), TURN_REQUEST_INTERVAL))) {
      await control.requestLock({ lockId, requester: me, entity: { service, environment } });
    }
  } else {
    await condition(() => release.grantedLocks.has(lockId));
  }
  release.waitFor(undefined);
  try {
    return await work();
  } finally {
    release.grantedLocks.delete(lockId);
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(lockId).signal(lockReleaseSignal, me);
      } catch (err) {
        // The lock workflow is gone (terminated by an operator): nothing holds the turn.
        log.warn('could not hand back the environment lock', { lockId, error: String(err) });
      }
    });
  }
}
