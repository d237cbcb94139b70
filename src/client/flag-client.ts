import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { type FlagChangeAnswer, type FlagView, type KillFlagRequest, type SetFlagRequest, flagWorkflowId } from '../shared/flags';
import { flagQuery, killFlagUpdate, setFlagUpdate } from '../shared/messages';
import type { flagWorkflow } from '../workflows/flag';

/**
 * The flag entities of one installation (task queue). A set or kill goes to the flag's
 * entity, starting it on first use (update-with-start); either answers once the flag
 * store holds the change, or fails with `WorkflowUpdateFailedError` whose cause says why.
 */

export async function setFlag(client: Client, taskQueue: string, key: string, request: SetFlagRequest): Promise<FlagChangeAnswer> {
  return client.workflow.executeUpdateWithStart(setFlagUpdate, { args: [request], startWorkflowOperation: startFlag(taskQueue, key) });
}

/**
 * Kills a flag. Its entity is started if need be, so a flag the store serves but no
 * entity holds yet (written by hand) can still be killed; for a flag that does not exist
 * at all the entity refuses and ends at once.
 */
export async function killFlag(client: Client, taskQueue: string, key: string, request: KillFlagRequest): Promise<FlagChangeAnswer> {
  return client.workflow.executeUpdateWithStart(killFlagUpdate, { args: [request], startWorkflowOperation: startFlag(taskQueue, key) });
}

function startFlag(taskQueue: string, key: string): WithStartWorkflowOperation<typeof flagWorkflow> {
  return new WithStartWorkflowOperation<typeof flagWorkflow>('flagWorkflow', {
    workflowId: flagWorkflowId(key, taskQueue),
    taskQueue,
    args: [{ key }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Feature flag ${key}: its definition and every change`,
  });
}

/** The flag as its entity holds it; undefined when there is no such flag. */
export async function readFlag(client: Client, taskQueue: string, key: string): Promise<FlagView | undefined> {
  try {
    const view = await client.workflow.getHandle(flagWorkflowId(key, taskQueue)).query(flagQuery);
    return view.definition ? view : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Every flag with a running entity on the task queue, by key. */
export async function listFlags(client: Client, taskQueue: string): Promise<FlagView[]> {
  const query = ['WorkflowType = "flagWorkflow"', 'ExecutionStatus = "Running"', `TaskQueue = "${taskQueue.replace(/"/g, '')}"`].join(' AND ');
  const views: FlagView[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const view = await client.workflow.getHandle(wf.workflowId).query(flagQuery);
    if (view.definition) views.push(view);
  }
  return views.sort((a, b) => a.key.localeCompare(b.key));
}
