import type { Recorded } from '../../shared/decision-events';

/** Which workflow run an event came from, as the worker knows it. */
export interface AuditOrigin {
  namespace: string;
  workflowType: string;
  runId: string;
}

/**
 * Where the worker sends every decision the workflows record (the audit trail's input).
 * Called once per event on the worker that recorded it, never again when a history
 * replays; it must not throw (a failing sink must not fail a workflow task) and should
 * return quickly.
 */
export interface AuditSink {
  record(event: Recorded, origin: AuditOrigin): void;
}
