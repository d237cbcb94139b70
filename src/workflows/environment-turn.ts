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
export async function withEnvironmentTurn<T>(release: ReleaseState, environment: string, work: () => Promise<T>): Promise<T> {
  const lockId = environmentLockWorkflowId(release.input.service, environment);
  const me = { workflowId: workflowInfo().workflowId, runId: workflowInfo().runId };
  release.waitFor(`its turn to deploy to ${environment}`);
  const { holder, waiting } = await control.requestLock({ lockId, requester: me });
  if (!release.grantedLocks.has(lockId) && holder && holder.workflowId !== me.workflowId) {
    release.waitFor(`its turn to deploy to ${environment}: ${holder.workflowId} is deploying there (${waiting} waiting)`);
  }
  await condition(() => release.grantedLocks.has(lockId));
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
