import type { CalendarView, DeclaredFreeze } from '../shared/change-calendar';
import type { Recorded, CalendarEvent } from '../shared/decision-events';
import { ENVIRONMENT_NAME_PATTERN, SERVICE_NAME_PATTERN } from '../shared/names';
import { applyQuarantineEvent } from './quarantine';

/** Freezes people declare during an incident: what a declaration must say, and how the calendar keeps them. */

const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

export interface FreezeDeclaration {
  by?: string;
  reason?: string;
  services?: string[];
  environments?: string[];
  /** The `until` as given, and as an instant (NaN when it is not one). */
  until?: { text: string; ms: number };
}

/** Every problem with a declaration, each naming its option and the fix; none means it may be declared. */
export function checkFreezeDeclaration(d: FreezeDeclaration, nowMs: number): string[] {
  const problems: string[] = [];
  if (!d.by || !IDENTITY.test(d.by)) problems.push(`--as: "${d.by ?? ''}" is not a user name (letters, digits, . _ @ -); say who declares the freeze`);
  if (!d.reason?.trim()) problems.push('--reason is required: say why changes stop (it is shown to every release the freeze holds)');
  for (const service of d.services ?? []) if (!SERVICE_NAME_PATTERN.test(service)) problems.push(`--services: "${service}" is not a service name (lower-case letters, digits and -)`);
  for (const environment of d.environments ?? []) if (!ENVIRONMENT_NAME_PATTERN.test(environment)) problems.push(`--environments: "${environment}" is not an environment name (lower-case letters, digits and -)`);
  if (d.until) {
    if (Number.isNaN(d.until.ms)) problems.push(`--until: "${d.until.text}" is not an ISO 8601 instant with a zone; write e.g. 2026-12-04T18:00:00Z`);
    else if (d.until.ms <= nowMs) problems.push(`--until: ${d.until.text} is in the past; give a time to come, or leave --until out and end the freeze with gantry freeze end`);
  }
  return problems;
}

const intersects = (a?: string[], b?: string[]) => !a || !b || a.some((x) => b.includes(x));

/** The active freezes that cover some of the same services and environments as `scope` (overlapping is allowed, and said). */
export function overlappingFreezes(active: DeclaredFreeze[], scope: Pick<DeclaredFreeze, 'services' | 'environments'>): DeclaredFreeze[] {
  return active.filter((f) => intersects(f.services, scope.services) && intersects(f.environments, scope.environments));
}

/** Ended freezes kept in the view; older ones are in the calendar's record. */
const ENDED_KEPT = 20;

/** How the calendar's view follows from its recorded events. */
export function applyCalendarEvent(view: CalendarView, event: Recorded<CalendarEvent>): void {
  if (event.kind === 'version_quarantined' || event.kind === 'quarantine_lifted') {
    applyQuarantineEvent(view, event);
    return;
  }
  // A refusal is never applied: it goes to the audit only.
  if (event.kind === 'quarantine_refused' || event.kind === 'freeze_refused') return;
  if (event.kind === 'freeze_declared') {
    view.active.push(event.freeze);
    return;
  }
  const freeze = view.active.find((f) => f.id === event.id);
  if (!freeze) return;
  view.active = view.active.filter((f) => f.id !== event.id);
  view.ended = [...view.ended, { ...freeze, ended: { at: event.at, by: event.by, ...(event.reason ? { reason: event.reason } : {}) } }].slice(-ENDED_KEPT);
}
