import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { proxySinks, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { AuditSinks } from '../shared/audit-sinks';
import type { DecisionEvent, Recorded } from '../shared/decision-events';
import { AuditOutbox } from './audit-outbox';

const { audit } = proxySinks<AuditSinks>();

/** What a workflow derives from its events: its status, its search attributes and its UI details. */
export interface DecisionProjection<E extends DecisionEvent> {
  /** Folds the event into the status people query. */
  apply(event: Recorded<E>): void;
  /** The search attribute updates the event causes, each one upsert (in the order they were always made). */
  searchAttributes?(event: Recorded<E>): SearchAttributeUpdatePair[][];
  /** Markdown for the Temporal UI's current details, from the status as it now is. */
  details(): string;
}

/**
 * The one seam every decision of a workflow goes through: the event is numbered and
 * timed, kept for the `decisions` query, folded into the status, mirrored to the search
 * attributes and the UI, and handed to the audit sink and (through the outbox, which
 * retries until it is stored) to the audit store. Nothing else writes the status's
 * decisions (a lint rule holds that line in src/workflows).
 */
export class DecisionRecord<E extends DecisionEvent> {
  private readonly kept: Recorded<E>[] = [];
  private seq: number;

  private readonly keep?: number;
  /** The events not yet in the audit store; absent for runs recorded before it existed. */
  readonly outbox = AuditOutbox.open();

  constructor(
    private readonly projection: DecisionProjection<E>,
    options: {
      /** The last number used before (an entity that continued as new goes on counting). */
      lastSeq?: number;
      /** How many events the query keeps, the most recent; all when unset. */
      keep?: number;
    } = {},
  ) {
    this.seq = options.lastSeq ?? 0;
    this.keep = options.keep;
  }

  record(event: E): Recorded<E> {
    this.seq += 1;
    const recorded = { ...event, seq: this.seq, at: new Date().toISOString(), workflowId: workflowInfo().workflowId } as Recorded<E>;
    this.kept.push(recorded);
    if (this.keep !== undefined && this.kept.length > this.keep) this.kept.splice(0, this.kept.length - this.keep);
    this.projection.apply(recorded);
    for (const update of this.projection.searchAttributes?.(recorded) ?? []) upsertSearchAttributes(update);
    this.publish();
    this.outbox?.add(recorded);
    audit.record(recorded, this.outbox ? 'outbox' : 'sink');
    return recorded;
  }

  /**
   * A message refused by an update validator: validators may not change state, and a
   * refused update leaves no trace in the history, so the refusal goes to the audit sink
   * only (unnumbered: it is not part of the workflow's record), which stores it best
   * effort: a store that is down then loses it.
   */
  refusedUpdate(event: E): void {
    audit.record({ ...event, seq: 0, at: new Date().toISOString(), workflowId: workflowInfo().workflowId } as Recorded, 'sink');
  }

  /** Shows the status as it now is in the UI (after a change that is not a decision, such as what it waits for). */
  publish(): void {
    setCurrentDetails(this.projection.details());
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The recorded events, oldest first. */
  events(): Recorded<E>[] {
    return [...this.kept];
  }
}
