import type { FlagEvent, Recorded } from '../shared/decision-events';
import type { FlagView } from '../shared/flags';

/** Changes and refusals the view keeps; the record and the audit store have them all. */
export const CHANGES_KEPT = 20;

export function emptyFlagView(key: string): FlagView {
  return { key, changes: [], refusals: [] };
}

/** How a flag entity's view follows from its recorded events: the only place it is written. */
export function applyFlagEvent(view: FlagView, event: Recorded<FlagEvent>): void {
  switch (event.kind) {
    case 'flag_adopted':
      view.definition = event.definition;
      view.revision = event.revision;
      view.changes = keep([...view.changes, { seq: event.seq, at: event.at, kind: 'adopted', by: 'the flag store', summary: ['found in the flag store on first use'], revision: event.revision }]);
      return;
    case 'flag_set':
      view.definition = event.after;
      view.revision = event.revision;
      view.killed = undefined;
      view.updatedAt = event.at;
      view.updatedBy = event.by;
      view.changes = keep([...view.changes, { seq: event.seq, at: event.at, kind: 'set', by: event.by, ...(event.reason ? { reason: event.reason } : {}), summary: event.summary, revision: event.revision }]);
      return;
    case 'flag_killed':
      view.definition = event.after;
      view.revision = event.revision;
      view.killed = { by: event.by, reason: event.reason, at: event.at, method: event.method, ...(event.offVariant ? { offVariant: event.offVariant } : {}), before: event.before };
      view.updatedAt = event.at;
      view.updatedBy = event.by;
      view.changes = keep([...view.changes, { seq: event.seq, at: event.at, kind: 'killed', by: event.by, reason: event.reason, summary: event.summary, revision: event.revision }]);
      return;
    case 'flag_refused':
      view.refusals = keep([...view.refusals, { at: event.at, command: event.command, by: event.by, refusal: event.refusal }]);
      return;
  }
}

function keep<T>(list: T[]): T[] {
  return list.slice(-CHANGES_KEPT);
}

/** Markdown the Temporal UI shows as a flag's current details. */
export function flagDetails(view: FlagView): string {
  const flag = view.definition;
  if (!flag) return `**Flag ${view.key}**: not in the flag store yet`;
  const lines = [`**Flag ${view.key}**: ${flag.state}, default ${flag.defaultVariant ?? '(code default)'}${flag.targeting ? ', with targeting' : ''} (store revision ${view.revision})`, ''];
  if (view.killed) lines.push(`Killed at ${view.killed.at} by ${view.killed.by}: ${view.killed.reason}`);
  const last = view.changes[view.changes.length - 1];
  if (last) lines.push(`Last change: ${last.kind} by ${last.by} at ${last.at}: ${last.summary.join('; ')}`);
  return lines.join('\n');
}
