import type { AppendResult, AuditAppend, AuditEntry, AuditStore, ChainReport } from '../../src/providers/audit/audit-store';
import { auditKey } from '../../src/providers/audit/audit-key';
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

/**
 * An audit store that keeps appended events in memory, once per key, for workflow tests
 * that are not about the store (the store itself is tested on PGlite and PostgreSQL, and
 * test/workflows/audit-store.test.ts runs releases against a real PostgreSQL).
 */
export class CollectingAuditStore implements AuditStore {
  readonly describe = 'memory (tests)';
  readonly entries: AuditAppend[] = [];
  private readonly keys = new Set<string>();

  async append(events: AuditAppend[]): Promise<AppendResult> {
    let appended = 0;
    for (const entry of events) {
      const key = auditKey(entry.event, entry.origin);
      if (this.keys.has(key)) continue;
      this.keys.add(key);
      this.entries.push(entry);
      appended += 1;
    }
    return { appended, skipped: events.length - appended };
  }

  async forRelease(): Promise<AuditEntry[]> {
    throw new Error('the collecting store keeps entries, it does not chain them');
  }

  async between(): Promise<AuditEntry[]> {
    throw new Error('the collecting store keeps entries, it does not chain them');
  }

  async verify(): Promise<ChainReport> {
    throw new Error('the collecting store keeps entries, it does not chain them');
  }

  async ping(): Promise<{ entries: number }> {
    return { entries: this.entries.length };
  }

  async close(): Promise<void> {}
}

/** One store for every worker of a test file, for tests that do not read it. */
export const testAuditStore = new CollectingAuditStore();
