import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type EnvironmentRecord, environmentQuery, environmentWorkflowId } from '../shared/environment';

/** What a release needs to read from environment entities (a workflow cannot query another). */
export function createEnvironmentActivities(client: Client) {
  return {
    /** The environment's record, or null when no release has deployed there yet. */
    async readEnvironment(input: { service: string; environment: string }): Promise<EnvironmentRecord | null> {
      try {
        const entityId = environmentWorkflowId(input.service, input.environment, Context.current().info.taskQueue);
        return await client.workflow.getHandle(entityId).query(environmentQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
  };
}
