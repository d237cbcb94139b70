import type { InjectedSinks } from '@temporalio/worker';
import type { AuditSink } from '../providers/audit/audit-sink';
import type { AuditSinks } from '../shared/audit-sinks';

/**
 * The workflow sinks a worker injects so recorded decisions reach `sink` (once each: not
 * during replay), and those no outbox delivers reach `store` too (best effort).
 */
export function auditSinks(sink: AuditSink, store?: AuditSink): InjectedSinks<AuditSinks> {
  return {
    audit: {
      record: {
        fn: (info, event, delivery) => {
          const origin = { namespace: info.namespace, workflowType: info.workflowType, runId: info.runId };
          try {
            sink.record(event, origin);
            if (store && delivery !== 'outbox') store.record(event, origin);
          } catch {
            // A sink must never fail the workflow task that recorded the decision.
          }
        },
        callDuringReplay: false,
      },
    },
  };
}
