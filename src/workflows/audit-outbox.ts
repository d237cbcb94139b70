import { ActivityFailure, CancellationScope, condition, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { GantryActivities } from '../activities';
import type { Recorded } from '../shared/decision-events';

/**
 * Each try of a batch is retried a few times by the activity's own policy (about 15 s),
 * then the outbox says the store is failing and tries again every RETRY_PAUSE, for ever:
 * the workflow never gives up on an entry, and it learns why the store does not take it.
 */
const store = proxyActivities<Pick<GantryActivities, 'appendAuditEntries'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '8 seconds', maximumAttempts: 4 },
});
const RETRY_PAUSE = '20 seconds';
/** Events per append: a burst of decisions goes in one activity (three history events). */
const BATCH = 50;

/**
 * The workflow's recorded events on their way to the audit store. A sink cannot retry
 * and is not called again on replay, so delivery goes through the workflow: events wait
 * here (in the workflow's state, replayed with it) until an activity has stored them,
 * in batches, in order, by a loop that never gives up. Only what is not stored yet is
 * held, so a parked release holds nothing. Releases started before (patch 'audit-store')
 * have no outbox and replay unchanged.
 */
export class AuditOutbox {
  private readonly pending: Recorded[] = [];
  /** Since when, and why, the store has not taken the oldest pending event. */
  failing?: { since: string; error: string };
  /** Bumped when `failing` changes, so a waiter can say the new reason. */
  revision = 0;

  /** An outbox for a workflow started since the audit store exists; none for older histories. */
  static open(): AuditOutbox | undefined {
    return patched('audit-store') ? new AuditOutbox() : undefined;
  }

  private constructor() {
    // Not cancellable: aborting a release must not stop its record reaching the store.
    void CancellationScope.nonCancellable(() => this.deliver());
  }

  add(event: Recorded): void {
    this.pending.push(event);
  }

  get empty(): boolean {
    return this.pending.length === 0;
  }

  /** What a workflow held by the store says it waits for. */
  waitingText(): string {
    const count = `${this.pending.length} decision${this.pending.length === 1 ? '' : 's'}`;
    if (!this.failing) return `the audit store to take ${count}`;
    return `the audit store to take ${count}: it has refused them since ${this.failing.since} (${this.failing.error}); check it with gantry doctor`;
  }

  private async deliver(): Promise<never> {
    for (;;) {
      await condition(() => this.pending.length > 0);
      const batch = this.pending.slice(0, BATCH);
      try {
        await store.appendAuditEntries(batch);
        this.pending.splice(0, batch.length);
        if (this.failing) this.setFailing(undefined);
      } catch (err) {
        const cause = err instanceof ActivityFailure && err.cause ? err.cause : (err as Error);
        this.setFailing({ since: this.failing?.since ?? new Date().toISOString(), error: cause.message });
        await sleep(RETRY_PAUSE);
      }
    }
  }

  private setFailing(failing: AuditOutbox['failing']): void {
    this.failing = failing;
    this.revision += 1;
  }
}

/**
 * Waits until every event recorded so far is in the audit store: a workflow calls it
 * before a decision that must not run ahead of its record (a release entering an
 * environment or ending, a rollout ending, an entity continuing as new). A slow append
 * is waited for silently; once the store refuses, `say` tells the status why it waits
 * (and `say(undefined)` when it no longer does).
 */
export async function awaitAuditStored(outbox: AuditOutbox | undefined, say: (what: string | undefined) => void = () => undefined): Promise<void> {
  if (!outbox || outbox.empty) return;
  let told = false;
  for (;;) {
    const revision = outbox.revision;
    if (outbox.failing) {
      say(outbox.waitingText());
      told = true;
    }
    await condition(() => outbox.empty || outbox.revision !== revision);
    if (outbox.empty) break;
  }
  if (told) say(undefined);
}

/**
 * Runs a workflow's work, then (whatever its end) waits for its record to be stored, so
 * nothing recorded is lost with the run; `say` tells its status while the store refuses.
 */
export async function storedAtTheEnd<T>(outbox: AuditOutbox | undefined, work: () => Promise<T>, say?: (what: string | undefined) => void): Promise<T> {
  try {
    return await work();
  } finally {
    await CancellationScope.nonCancellable(() => awaitAuditStored(outbox, say));
  }
}
