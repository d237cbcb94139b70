import type { Verdict } from './approval';
import type { Roles } from './authority';
import { type Groups, includes, membersOf } from './people';

/**
 * Who may change the change calendar, from the roles in the platform's catalogue.
 *
 * Stopping changes is a safety measure, so more people may do it than may undo it:
 * - freeze_start, quarantine: practitioners and process owners of what it covers
 *   (anyone, while no practitioners are declared, as for steering a release);
 * - freeze_end, unquarantine: the person who declared it, or process owners of
 *   everything it covers (anyone, while the catalogue declares no roles at all).
 *
 * A freeze names services, or covers every service; then only the catalogue's own roles
 * count (a service's practitioner may freeze that service, not the company).
 *
 * Example: catalogue processOwners [dana], web practitioners [alice]. alice freezes web
 * → allowed; alice freezes everything → refused; alice ends dana's freeze of web →
 * refused: "alice may not end freeze F2: not its declarer (dana) or a process owner of
 * web (process owners: dana)".
 */

export type CalendarAction = 'freeze_start' | 'freeze_end' | 'quarantine' | 'unquarantine';

export interface RoleHolders {
  roles?: Roles;
  groups?: Groups;
}

/** The catalogue's roles, and each service's with the catalogue's merged in. */
export interface CalendarAuthority {
  catalogue: RoleHolders;
  services: Record<string, RoleHolders>;
}

export interface CalendarSubject {
  /** What it covers: these services, or every service when empty. */
  services: string[];
  /** Says what is asked, for the refusal: "freeze every service", "lift the quarantine of web 1.2.0". */
  what: string;
  /** Who declared the freeze or quarantine being ended or lifted. */
  declaredBy?: string;
}

export function checkCalendarRole(action: CalendarAction, who: string | undefined, subject: CalendarSubject, authority: CalendarAuthority): Verdict {
  if (!who?.trim()) return { ok: false, reason: 'say who you are (by / --as)' };
  const scopes = subject.services.length
    ? subject.services.map((service) => ({ name: service, holders: authority.services[service] ?? authority.catalogue }))
    : [{ name: 'every service', holders: authority.catalogue }];
  const undoing = action === 'freeze_end' || action === 'unquarantine';
  if (undoing && subject.declaredBy === who) return { ok: true };

  for (const { name, holders } of scopes) {
    const { roles, groups } = holders;
    const owners = roles?.processOwners ?? [];
    if (includes(owners, groups, who)) continue;
    if (!undoing && (roles?.practitioners === undefined || includes(roles.practitioners, groups, who))) continue;
    if (undoing && !roles) continue;
    const ownerNames = membersOf(owners, groups).join(', ') || 'none; list them under roles.processOwners in the catalogue';
    if (undoing) {
      const declarer = subject.declaredBy ? `its declarer (${subject.declaredBy}) or ` : '';
      return { ok: false, reason: `${who} may not ${subject.what}: not ${declarer}a process owner of ${name} (process owners: ${ownerNames})` };
    }
    const practitioners = membersOf(roles?.practitioners, groups).join(', ') || 'none';
    return { ok: false, reason: `${who} may not ${subject.what}: not a practitioner or process owner of ${name} (practitioners: ${practitioners}; process owners: ${ownerNames})` };
  }
  return { ok: true };
}
