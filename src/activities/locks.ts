import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type LockRequest, lockRequestSignal, lockStateQuery } from '../shared/messages';
import { GantryService } from '../shared/search-attributes';
import { environmentWorkflowId } from '../shared/environment';

export interface RequestLockInput {
  /** The lock workflow's ID; for an environment entity the activity works it out (and returns it). */
  lockId: string;
  requester: LockRequest;
  /**
   * The environment entity that grants turns there (`environment/<service>/<env>`); absent
   * in releases started before entities existed, which use a lock workflow of their own.
   */
  entity?: { service: string; environment: string };
}

export interface LockQueueView {
  /** The workflow that grants the turns: an environment entity's ID depends on the worker's task queue, so the activity says it. */
  lockId: string;
  holder?: LockRequest;
  waiting: number;
}

/**
 * Environment locks are workflows (see environmentLockWorkflow); a workflow cannot
 * signal-with-start another, so asking for a turn is this activity's one side effect.
 */
export function createLockActivities(client: Client) {
  return {
    /** Joins the environment's queue (starting the lock if nobody holds it) and says who holds it now. */
    async requestLock(input: RequestLockInput): Promise<LockQueueView> {
      const { entity } = input;
      const lockId = entity ? environmentWorkflowId(entity.service, entity.environment, Context.current().info.taskQueue) : input.lockId;
      const handle = entity
        ? await client.workflow.signalWithStart('environmentWorkflow', {
            workflowId: lockId,
            taskQueue: Context.current().info.taskQueue,
            args: [{ service: entity.service, environment: entity.environment }],
            signal: lockRequestSignal,
            signalArgs: [input.requester],
            typedSearchAttributes: [{ key: GantryService, value: entity.service }],
            staticSummary: `Environment ${entity.environment} of ${entity.service}: what runs there, and one deploy at a time`,
          })
        : await client.workflow.signalWithStart('environmentLockWorkflow', {
            workflowId: input.lockId,
            taskQueue: Context.current().info.taskQueue,
            args: [{ lockId: input.lockId }],
            signal: lockRequestSignal,
            signalArgs: [input.requester],
            staticSummary: `Deploy lock: one release at a time on ${input.lockId.replace(/^lock\//, '')}`,
          });
      try {
        const state = await handle.query(lockStateQuery);
        return { lockId, holder: state.holder, waiting: state.queue.length };
      } catch {
        // The view is informational; the grant signal is what matters.
        return { lockId, waiting: 0 };
      }
    },

    /** Whether a workflow run is still running (a terminated lock holder must not block the queue forever). */
    async isWorkflowOpen(run: LockRequest): Promise<boolean> {
      try {
        const description = await client.workflow.getHandle(run.workflowId, run.runId).describe();
        return description.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}
