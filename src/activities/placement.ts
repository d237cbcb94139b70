import { Context, log } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type Placement, hostTaskQueue } from '../policy/placement';
import { environmentWorkflowId, placeUpdate } from '../shared/environment';

/** The worker host these activities run on, and how its own task queue is named from the shared one. */
export interface WorkerHost {
  name: string;
  queueOf: (sharedTaskQueue: string) => string;
}

/** A worker host named `name`, polling `<task queue>/host/<name>`. */
export function workerHost(name: string): WorkerHost {
  return { name, queueOf: (shared) => hostTaskQueue(shared, name) };
}

/**
 * Placement runs on the shared task queue: the worker that picks it up claims an
 * environment that has no host yet, and the answer (from the environment's entity, which
 * keeps the first claim) tells the workflow where that environment's work goes.
 */
export function createPlacementActivities(deps: { client: Client; host: WorkerHost }) {
  return {
    /** The host an environment runs on, claiming it for this worker's host if it has none. Idempotent. */
    async placeEnvironment(input: { service: string; environment: string }): Promise<Placement> {
      const shared = Context.current().info.taskQueue;
      const entityId = environmentWorkflowId(input.service, input.environment, shared);
      let host: string;
      try {
        host = await deps.client.workflow.getHandle(entityId).executeUpdate(placeUpdate, { args: [{ host: deps.host.name }] });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // Only a release that lost its entity (terminated by hand) gets here: it deploys where it is.
        log.warn('the environment has no entity to record its host; placing it on this worker', { environment: entityId, host: deps.host.name });
        host = deps.host.name;
      }
      return { host, taskQueue: deps.host.name === host ? deps.host.queueOf(shared) : hostTaskQueue(shared, host) };
    },
  };
}
