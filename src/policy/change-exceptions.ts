import type { Verdict } from './approval';
import { type Authority, checkRole } from './authority';
import type { HoldKind } from './change-window';

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

/**
 * What an exception may pass: deploy windows, holidays and freezes. A quarantine is
 * lifted, not passed; a soak precondition is waited out.
 */
export function exceptionMayPass(hold: HoldKind | undefined): boolean {
  return hold === 'deploy window' || hold === 'holiday' || hold === 'freeze';
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
  authority: Authority;
  author: string;
  finished: boolean;
  /** The release's emergency, when it was started as one. */
  emergency?: { approval?: { by: string } };
  /** What holds the release now at a change gate (its own, or its canary's ramp), if anything. */
  heldBy?: string;
  /** The kind of hold (absent for a canary's ramp hold, which is always a window, holiday or freeze). */
  holdKind?: HoldKind;
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
  const role = checkRole('approve_emergency', by, ctx.authority);
  if (!role.ok) return role;
  if (by === ctx.author) return refuse(`${by} is the author of this release and cannot approve its emergency; ask another emergency approver`);
  if (ctx.emergency.approval) return refuse(`the emergency was already approved by ${ctx.emergency.approval.by}`);
  return { ok: true };
}

export function checkOverride(ctx: ExceptionContext, by: string | undefined, reason: string | undefined): Verdict {
  if (ctx.finished) return refuse('the release has already ended');
  const identified = identify(by, reason, 'an override');
  if (!identified.ok) return identified;
  const role = checkRole('override', by, ctx.authority);
  if (!role.ok) return role;
  if (!ctx.heldBy) return refuse('nothing to override: no deploy window, holiday or freeze holds the release now (an override passes the one gate holding it)');
  if (ctx.holdKind === 'quarantine') return refuse(`a quarantine is not overridden but lifted (gantry release unquarantine): ${ctx.heldBy}`);
  if (ctx.holdKind !== undefined && !exceptionMayPass(ctx.holdKind)) return refuse(`an override passes deploy windows, holidays and freezes, not a ${ctx.holdKind}: ${ctx.heldBy}`);
  return { ok: true };
}
