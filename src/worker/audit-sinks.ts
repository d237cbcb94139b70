import type { InjectedSinks } from '@temporalio/worker';
import type { AuditSink } from '../providers/audit/audit-sink';
import type { AuditSinks } from '../shared/audit-sinks';

/** The workflow sinks a worker injects so recorded decisions reach `sink` (once each: not during replay). */
export function auditSinks(sink: AuditSink): InjectedSinks<AuditSinks> {
  return {
    audit: {
      record: {
        fn: (info, event) => {
          try {
            sink.record(event, { namespace: info.namespace, workflowType: info.workflowType, runId: info.runId });
          } catch {
            // A sink must never fail the workflow task that recorded the decision.
          }
        },
        callDuringReplay: false,
      },
    },
  };
}
