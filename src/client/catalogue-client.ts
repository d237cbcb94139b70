import { randomUUID } from 'node:crypto';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { unreachable } from '../cli/exit-codes';
import type { CatalogueReport } from '../shared/catalogue-report';
import type { catalogueWorkflow } from '../workflows/catalogue';

/**
 * Asks a worker of `taskQueue` which catalogue it enforces. Fails with exit code 3 when no
 * worker answers in time (none runs on that task queue, or none can reach the server).
 */
export async function askPlatformCatalogue(client: Client, taskQueue: string, request: { service?: string }, timeoutMs = 10_000): Promise<CatalogueReport> {
  try {
    return await client.workflow.execute<typeof catalogueWorkflow>('catalogueWorkflow', {
      workflowId: `catalogue/${randomUUID()}`,
      taskQueue,
      args: [request],
      workflowExecutionTimeout: timeoutMs,
      staticSummary: `Which catalogue the workers of ${taskQueue} enforce`,
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      throw unreachable(
        `no Gantry worker on task queue ${taskQueue} answered within ${timeoutMs / 1000} s (${err.cause?.message ?? err.message}); start one with \`gantry worker\` or set GANTRY_TASK_QUEUE`,
      );
    }
    throw err;
  }
}
