import type { Recorded } from '../../shared/decision-events';
import type { AuditOrigin, AuditSink } from './audit-sink';
import type { AuditStore } from './audit-store';

/**
 * Stores what only a sink sees: updates refused by their validator (no history, seq 0)
 * and events of runs recorded before the audit store existed. A sink cannot wait or
 * retry, so this is best effort: the append runs in the background and a failure is
 * reported, not retried. The key makes a repeat harmless.
 */
export class StoreAuditSink implements AuditSink {
  constructor(
    private readonly store: AuditStore,
    private readonly onError: (error: Error, event: Recorded) => void = () => undefined,
  ) {}

  record(event: Recorded, origin: AuditOrigin): void {
    this.store.append([{ event, origin }]).catch((err: unknown) => this.onError(err as Error, event));
  }
}
