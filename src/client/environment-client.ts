import type { Client } from '@temporalio/client';
import { type EnvironmentRecord, environmentQuery } from '../shared/environment';

/** The environments of one installation (task queue), optionally of one service, as their entities hold them; sorted by service and name. */
export async function listEnvironments(client: Client, taskQueue: string, service?: string): Promise<EnvironmentRecord[]> {
  const clauses = ['WorkflowType = "environmentWorkflow"', 'ExecutionStatus = "Running"', `TaskQueue = "${taskQueue.replace(/"/g, '')}"`];
  if (service) clauses.push(`GantryService = "${service.replace(/"/g, '')}"`);
  const records: EnvironmentRecord[] = [];
  for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
    records.push(await client.workflow.getHandle(wf.workflowId).query(environmentQuery));
  }
  return records.sort((a, b) => a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment));
}
