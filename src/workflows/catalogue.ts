import { proxyActivities } from '@temporalio/workflow';
import type { GantryActivities } from '../activities';
import type { CatalogueReport } from '../shared/catalogue-report';

const { describeCatalogue } = proxyActivities<Pick<GantryActivities, 'describeCatalogue'>>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 2 },
});

/**
 * Asks a worker of the task queue which catalogue it enforces. Temporal is the only way
 * in to the workers, so a short workflow carries the question.
 */
export async function catalogueWorkflow(request: { service?: string }): Promise<CatalogueReport> {
  return describeCatalogue(request);
}
