import type { RolesConfig } from '../config/roles';
import type { Verdict } from './approval';
import { type Groups, includes, membersOf } from './people';

/**
 * Who may do what to a release, from the roles in the platform's catalogue. One pure
 * function answers every start and every message; the workflow answers a refusal with
 * the reason and records it.
 *
 * - start, abort, pause, resume, promote, rollback: practitioners and process owners
 *   (anyone, while no practitioners are declared: a catalogue without roles keeps working);
 * - approve_emergency: emergency approvers; override: process owners;
 * - approve and reject are the approval policy's (see approval.ts).
 *
 * Example: practitioners [group:web-team], processOwners [dana], groups { web-team:
 * [alice, bob] }. bob pauses → allowed; dana rolls back → allowed; carol aborts →
 * refused: "carol is not a practitioner of web (practitioners: alice, bob; process owners: dana)".
 */

export type Roles = RolesConfig;
export type RoleAction = 'start' | 'abort' | 'pause' | 'resume' | 'promote' | 'rollback' | 'approve_emergency' | 'override';

export interface Authority {
  service: string;
  roles?: Roles;
  groups?: Groups;
}

const union = (a: string[] | undefined, b: string[] | undefined) => (a === undefined && b === undefined ? undefined : [...new Set([...(a ?? []), ...(b ?? [])])]);

/** The catalogue's roles with a service's added (a service cannot drop a company-wide role holder). */
export function mergeRoles(above: Roles | undefined, below: Roles | undefined): Roles | undefined {
  if (!above || !below) return above ?? below;
  const practitioners = union(above.practitioners, below.practitioners);
  return {
    ...(practitioners ? { practitioners } : {}),
    processOwners: union(above.processOwners, below.processOwners)!,
    emergencyApprovers: union(above.emergencyApprovers, below.emergencyApprovers)!,
    auditors: union(above.auditors, below.auditors)!,
  };
}

/** The catalogue's groups with a service's added; a service's group of the same name replaces it. */
export function mergeGroups(above: Groups | undefined, below: Groups | undefined): Groups | undefined {
  if (!above || !below) return above ?? below;
  return { ...above, ...below };
}

const names = (list: string[]) => list.join(', ') || 'none';

export function checkRole(action: RoleAction, who: string | undefined, authority: Authority): Verdict {
  if (!who?.trim()) return { ok: false, reason: 'say who you are (by / --as)' };
  const { roles, groups, service } = authority;
  // Releases admitted before roles existed carry no roles (and older definitions miss lists).
  const owners = roles?.processOwners ?? [];
  if (action === 'approve_emergency') {
    const approvers = membersOf(roles?.emergencyApprovers, groups);
    if (approvers.includes(who)) return { ok: true };
    return { ok: false, reason: `${who} is not an emergency approver (emergency approvers: ${approvers.length ? approvers.join(', ') : 'none; list them under roles.emergencyApprovers in the catalogue'})` };
  }
  if (action === 'override') {
    const members = membersOf(owners, groups);
    if (members.includes(who)) return { ok: true };
    return { ok: false, reason: `${who} is not a process owner (process owners: ${members.length ? members.join(', ') : 'none; list them under roles.processOwners in the catalogue'})` };
  }
  if (roles?.practitioners === undefined) return { ok: true };
  if (includes(roles.practitioners, groups, who) || includes(owners, groups, who)) return { ok: true };
  const what = action === 'start' ? `start releases of ${service}` : `${action === 'rollback' ? 'roll back' : action} a release of ${service}`;
  return {
    ok: false,
    reason: `${who} may not ${what}: not a practitioner or process owner (practitioners: ${names(membersOf(roles.practitioners, groups))}; process owners: ${names(membersOf(owners, groups))})`,
  };
}
