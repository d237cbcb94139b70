import { Context } from '@temporalio/activity';
import type { AppendResult, AuditStore } from '../providers/audit/audit-store';
import type { Recorded } from '../shared/decision-events';

/** Delivers a workflow's recorded decisions to the audit store. */
export function createAuditActivities(store: AuditStore) {
  return {
    /**
     * Appends a batch of one workflow's events, in order. Idempotent: an event already
     * stored (this batch retried after a commit whose answer was lost, a worker killed
     * mid-write) is skipped by its key, so the store never holds one twice.
     */
    async appendAuditEntries(events: Recorded[]): Promise<AppendResult> {
      const { workflowNamespace, workflowType, workflowExecution } = Context.current().info;
      if (!workflowExecution || !workflowType) throw new Error('appendAuditEntries delivers a workflow\'s decisions: it runs only for a workflow');
      const origin = { namespace: workflowNamespace ?? Context.current().info.activityNamespace ?? 'default', workflowType, runId: workflowExecution.runId };
      return store.append(events.map((event) => ({ event, origin })));
    },
  };
}
