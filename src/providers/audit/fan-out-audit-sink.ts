import type { Recorded } from '../../shared/decision-events';
import type { AuditOrigin, AuditSink } from './audit-sink';

/**
 * Hands each decision to several sinks (the audit trail, the notifier), each on its own:
 * one that throws does not keep the decision from the others.
 */
export class FanOutAuditSink implements AuditSink {
  constructor(private readonly sinks: AuditSink[]) {}

  record(event: Recorded, origin: AuditOrigin): void {
    for (const sink of this.sinks) {
      try {
        sink.record(event, origin);
      } catch {
        // A sink must never fail the workflow task that recorded the decision.
      }
    }
  }
}
