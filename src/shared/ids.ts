/** Workflow IDs, one helper per kind, so every caller builds them the same way. */

export function releaseWorkflowId(service: string, version: string): string {
  return `release/${service}/${version}`;
}

export function environmentLockWorkflowId(service: string, environment: string): string {
  return `lock/${service}/${environment}`;
}

export const DEFAULT_TASK_QUEUE = 'gantry';
