import type { AuditOrigin, AuditSink } from '../../src/providers/audit/audit-sink';
import type { Recorded } from '../../src/shared/decision-events';

/** An audit sink that keeps what it is given, so a test can read the trail a worker emitted. */
export class CollectingAuditSink implements AuditSink {
  readonly entries: { event: Recorded; origin: AuditOrigin }[] = [];

  record(event: Recorded, origin: AuditOrigin): void {
    this.entries.push({ event, origin });
  }

  /** The events one workflow emitted, in the order it emitted them. */
  of(workflowId: string): Recorded[] {
    return this.entries.filter((e) => e.event.workflowId === workflowId).map((e) => e.event);
  }
}

/** One sink for every worker of a test file, for tests that do not read it. */
export const testAuditSink = new CollectingAuditSink();
