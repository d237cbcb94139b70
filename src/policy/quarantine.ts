import type { CalendarView } from '../shared/change-calendar';
import type { CalendarEvent, Recorded } from '../shared/decision-events';
import { SERVICE_NAME_PATTERN } from '../shared/names';
import { sameVersion as same } from './quarantine-holds';
import { VERSION_PATTERN } from './release-request';

/**
 * Quarantine: a version people stopped (`gantry release quarantine web 1.4.2 --reason …`)
 * enters no environment of its service, and a canary of it raises no traffic, until
 * someone lifts it. The change calendar keeps quarantines; the change decision holds
 * every release of the version on them. Nothing passes a quarantine, not an emergency
 * either: lifting it is the only way on.
 */

const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

/** Every problem with a quarantine or a lift request, each naming its option or argument; none means it may go to the calendar. */
export function checkQuarantineRequest(r: { service?: string; version?: string; by?: string; reason?: string }, lift = false): string[] {
  const problems: string[] = [];
  if (!r.service || !SERVICE_NAME_PATTERN.test(r.service)) problems.push(`<service>: "${r.service ?? ''}" is not a service name (lower-case letters, digits and -)`);
  if (!r.version || !VERSION_PATTERN.test(r.version)) problems.push(`<version>: "${r.version ?? ''}" is not a semantic version such as 1.4.2`);
  if (!r.by || !IDENTITY.test(r.by)) problems.push(`--as: "${r.by ?? ''}" is not a user name (letters, digits, . _ @ -); say who ${lift ? 'lifts' : 'quarantines'} it`);
  if (!lift && !r.reason?.trim()) problems.push('--reason is required: say why the version must not deploy (every release it holds shows it)');
  return problems;
}


/** Why the calendar refuses to quarantine `r` now, if it does: it is in quarantine already. */
export function quarantineRefusal(view: CalendarView, r: { service: string; version: string }): string | undefined {
  const current = (view.quarantined ?? []).find((q) => same(q, r));
  return current ? `${r.service} ${r.version} is already quarantined by ${current.by} since ${current.at} (${current.reason})` : undefined;
}

/** Why the calendar refuses to lift the quarantine of `r`, if it does: there is none. */
export function liftRefusal(view: CalendarView, r: { service: string; version: string }): string | undefined {
  if ((view.quarantined ?? []).some((q) => same(q, r))) return undefined;
  const lifted = [...(view.lifted ?? [])].reverse().find((q) => same(q, r));
  return lifted?.lifted
    ? `${r.service} ${r.version} is not quarantined: ${lifted.lifted.by} lifted its quarantine at ${lifted.lifted.at}`
    : `${r.service} ${r.version} is not quarantined`;
}

/** Lifted quarantines kept in the view; older ones are in the calendar's record. */
const LIFTED_KEPT = 20;

/** How the calendar's quarantines follow from its recorded events. */
export function applyQuarantineEvent(view: CalendarView, event: Recorded<Extract<CalendarEvent, { kind: 'version_quarantined' | 'quarantine_lifted' }>>): void {
  const quarantined = view.quarantined ?? [];
  if (event.kind === 'version_quarantined') {
    view.quarantined = [...quarantined, event.quarantine];
    return;
  }
  const current = quarantined.find((q) => same(q, event));
  if (!current) return;
  view.quarantined = quarantined.filter((q) => q !== current);
  view.lifted = [...(view.lifted ?? []), { ...current, lifted: { at: event.at, by: event.by, ...(event.reason ? { reason: event.reason } : {}) } }].slice(-LIFTED_KEPT);
}
