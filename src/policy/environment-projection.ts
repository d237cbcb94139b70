import type { EnvironmentEvent, Recorded } from '../shared/decision-events';
import type { EnvironmentRecord } from '../shared/environment';
import type { LockRequest } from '../shared/messages';

/** Deploys kept in the record; older ones are in the releases' own histories. */
export const HISTORY_KEPT = 20;

export const sameRequest = (a: LockRequest, b: LockRequest): boolean => a.workflowId === b.workflowId && a.runId === b.runId;

/** How an environment's record follows from its recorded events: the only place it is written. */
export function applyEnvironmentEvent(record: EnvironmentRecord, event: Recorded<EnvironmentEvent>): void {
  switch (event.kind) {
    case 'turn_requested':
      record.queue.push(event.request);
      return;
    case 'turn_granted':
      record.queue = record.queue.filter((q) => !sameRequest(q, event.request));
      record.holder = event.request;
      return;
    case 'turn_dropped':
      record.queue = record.queue.filter((q) => !sameRequest(q, event.request));
      if (record.holder && sameRequest(record.holder, event.request)) record.holder = undefined;
      return;
    case 'turn_returned':
    case 'turn_reclaimed':
      if (record.holder && sameRequest(record.holder, event.request)) record.holder = undefined;
      else record.queue = record.queue.filter((q) => !sameRequest(q, event.request));
      return;
    case 'placed':
      record.host = event.host;
      return;
    case 'deployed':
    case 'restored':
      if (record.current?.version !== event.version || record.current.digest !== event.digest) {
        if (record.current) record.previous = record.current;
        record.current = { version: event.version, digest: event.digest, url: event.url, since: event.at, release: event.release };
      }
      record.history = [...record.history, { at: event.at, kind: event.kind, version: event.version, release: event.release }].slice(-HISTORY_KEPT);
      return;
  }
}

/** Markdown the Temporal UI shows as an environment's current details. */
export function environmentDetails(record: EnvironmentRecord): string {
  const lines = [`**${record.service}** in **${record.environment}**`, ''];
  lines.push(record.current ? `Runs ${record.current.version} since ${record.current.since} (by ${record.current.release})` : 'Runs nothing Gantry deployed yet');
  if (record.previous) lines.push(`Before: ${record.previous.version}`);
  if (record.holder) lines.push(`Deploying now: ${record.holder.workflowId}`);
  if (record.queue.length) lines.push(`Waiting: ${record.queue.map((q) => q.workflowId).join(', ')}`);
  return lines.join('\n');
}
