import type { RolesConfig } from '../config/roles';
import type { Verdict } from './approval';

/**
 * The two exceptions to change management, decided here for the workflow, the CLI and
 * the tests alike:
 * - an **emergency** release (`--emergency --reason --ticket`) passes deploy windows,
 *   holidays and freezes once an emergency approver, who is not its author, approves it
 *   with a reason;
 * - a **process owner** may override the one change gate holding a release (or its
 *   canary) now, with a reason.
 * Either is recorded with who, when and why, and flagged for the review. Neither lifts
 * a quarantine or passes an approval: those are other decisions.
 */

export type Roles = RolesConfig;

const NO_ROLES: Roles = { processOwners: [], emergencyApprovers: [] };

/** The catalogue's roles with a service's added (a service cannot drop a company-wide role holder). */
export function mergeRoles(above: Roles | undefined, below: Roles | undefined): Roles | undefined {
  if (!above || !below) return above ?? below;
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
  return { processOwners: union(above.processOwners, below.processOwners), emergencyApprovers: union(above.emergencyApprovers, below.emergencyApprovers) };
}

export interface EmergencyProblem {
  field: 'reason' | 'ticket';
  message: string;
}

/** What an emergency start must say: why, and the ticket an auditor can follow. */
export function checkEmergencyRequest(emergency: { reason?: string; ticket?: string }): EmergencyProblem[] {
  const problems: EmergencyProblem[] = [];
  if (!emergency.reason?.trim()) problems.push({ field: 'reason', message: 'an emergency needs a reason: add --reason "<what is broken and why it cannot wait>"' });
  if (!emergency.ticket?.trim()) problems.push({ field: 'ticket', message: 'an emergency needs the incident or change ticket: add --ticket <id>, e.g. INC-4711' });
  else if (emergency.ticket.trim().length > 200) problems.push({ field: 'ticket', message: 'is longer than 200 characters; give the ticket id, not its text' });
  return problems;
}

export interface ExceptionContext {
  roles: Roles | undefined;
  author: string;
  finished: boolean;
  /** The release's emergency, when it was started as one. */
  emergency?: { approval?: { by: string } };
  /** What holds the release now at a change gate (its own, or its canary's ramp), if anything. */
  heldBy?: string;
}

const refuse = (reason: string): Verdict => ({ ok: false, reason });

function identify(by: string | undefined, reason: string | undefined, what: string): Verdict {
  if (!by?.trim()) return refuse('say who you are (by / --as)');
  if (!reason?.trim()) return refuse(`${what} needs a reason (--reason): it is recorded and flagged for the review`);
  return { ok: true };
}

export function checkEmergencyApproval(ctx: ExceptionContext, by: string | undefined, reason: string | undefined): Verdict {
  if (ctx.finished) return refuse('the release has already ended');
  if (!ctx.emergency) return refuse('this release was not started as an emergency; only a release started with --emergency --reason --ticket can be approved as one');
  const identified = identify(by, reason, 'an emergency approval');
  if (!identified.ok) return identified;
  const approvers = (ctx.roles ?? NO_ROLES).emergencyApprovers;
  if (!approvers.includes(by!)) return refuse(`${by} is not an emergency approver (emergency approvers: ${approvers.join(', ') || 'none; list them under roles.emergencyApprovers in the catalogue'})`);
  if (by === ctx.author) return refuse(`${by} is the author of this release and cannot approve its emergency; ask another emergency approver`);
  if (ctx.emergency.approval) return refuse(`the emergency was already approved by ${ctx.emergency.approval.by}`);
  return { ok: true };
}

export function checkOverride(ctx: ExceptionContext, by: string | undefined, reason: string | undefined): Verdict {
  if (ctx.finished) return refuse('the release has already ended');
  const identified = identify(by, reason, 'an override');
  if (!identified.ok) return identified;
  const owners = (ctx.roles ?? NO_ROLES).processOwners;
  if (!owners.includes(by!)) return refuse(`${by} is not a process owner (process owners: ${owners.join(', ') || 'none; list them under roles.processOwners in the catalogue'})`);
  if (!ctx.heldBy) return refuse('nothing to override: no deploy window, holiday or freeze holds the release now (an override passes the one gate holding it)');
  return { ok: true };
}
