import { CancellationScope, condition, getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { environmentWorkflowId } from '../shared/environment';
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
  const lockId = release.entities ? environmentWorkflowId(service, environment, workflowInfo().taskQueue) : environmentLockWorkflowId(service, environment);
  const me = { workflowId: workflowInfo().workflowId, runId: workflowInfo().runId };
  release.waitFor(`its turn to deploy to ${environment}`);
  const { holder, waiting } = await control.requestLock({ lockId, requester: me, ...(release.entities ? { entity: { service, environment } } : {}) });
  if (!release.grantedLocks.has(lockId) && holder && holder.workflowId !== me.workflowId) {
    release.waitFor(`its turn to deploy to ${environment}: ${holder.workflowId} is deploying there (${waiting} waiting)`);
  }
  if (release.entities) {
    // Asked again now and then: an entity terminated by hand is started again by the
    // request (its record is lost, its queue rebuilt by the releases still waiting).
    while (!(await condition(() => release.grantedLocks.has(lockId), TURN_REQUEST_INTERVAL))) {
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
