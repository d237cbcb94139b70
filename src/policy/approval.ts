import type { ApprovalRecord, Stage } from '../shared/release';
import { type Groups, includes, membersOf } from './people';

/**
 * Who may approve or reject a deploy, decided from the approval policy and what has
 * happened so far. Pure: the workflow, the CLI and tests all call it.
 *
 * Example: approvers [bob, group:payments], groups { payments: [carol, dave] },
 * minApprovals 2, requiredGroups [payments], author alice, started by ci-bot.
 * bob approves → accepted (1 of 2, no payments approval yet); alice approves → refused
 * (the author cannot approve her own release); carol approves → accepted, and the
 * policy is satisfied: two approvers, one of them from payments. Had bob and erin
 * approved (erin escalated to), it would wait on: payments has not approved.
 */

export interface ApprovalRules {
  /** People, or `group:<name>` for every member of a group. */
  approvers: string[];
  minApprovals: number;
  /** Groups each of which must give at least one of the approvals. */
  requiredGroups?: string[];
  /** What every approval must carry. */
  require?: { comment?: boolean; ticket?: boolean; signature?: boolean };
  groups?: Groups;
  /** Who the approval escalated to after its first deadline, when it did. */
  escalatedTo?: string[];
}

export interface ApprovalContext {
  rules: ApprovalRules;
  author: string;
  /** Who started the release (absent in releases started before it was recorded): they cannot approve it either. */
  startedBy?: string;
  stage: Stage;
  /** Whether the release already ended (any outcome). */
  finished: boolean;
  /** Whether the release has been through its approval stage (it is deploying past it, or done). */
  approvalPassed: boolean;
  approvals: ApprovalRecord[];
}

/** What an approver sends with an approval. */
export interface ApprovalInputs {
  comment?: string;
  ticket?: string;
  /** Whether the approval comes signed (the signature itself is checked apart). */
  signed?: boolean;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

const refuse = (reason: string): Verdict => ({ ok: false, reason });

/** Everyone who may approve now: the approvers, the required groups' members and, after an escalation, those it went to. */
export function eligibleApprovers(rules: ApprovalRules): string[] {
  return membersOf([...rules.approvers, ...(rules.requiredGroups ?? []).map((g) => `group:${g}`), ...(rules.escalatedTo ?? [])], rules.groups);
}

function checkWaitingForApproval(ctx: ApprovalContext): Verdict {
  if (ctx.finished) return refuse('the release has already ended');
  if (ctx.stage !== 'approval') {
    const passed = ctx.approvalPassed || ctx.stage === 'done';
    return refuse(
      passed
        ? `the approval stage has already passed (the release is in ${ctx.stage})`
        : `the release is not waiting for approval yet (it is in ${ctx.stage}); approve once it reaches the approval stage`,
    );
  }
  return { ok: true };
}

function checkIsApprover(ctx: ApprovalContext, by: string): Verdict {
  if (!by || !by.trim()) return refuse('say who you are (by / --as)');
  const eligible = eligibleApprovers(ctx.rules);
  if (!eligible.includes(by)) return refuse(`${by} is not an approver of this service (approvers: ${eligible.join(', ') || 'none'})`);
  return { ok: true };
}

export function checkApprove(ctx: ApprovalContext, by: string, inputs: ApprovalInputs = {}): Verdict {
  const waiting = checkWaitingForApproval(ctx);
  if (!waiting.ok) return waiting;
  const approver = checkIsApprover(ctx, by);
  if (!approver.ok) return approver;
  if (by === ctx.author) return refuse(`${by} is the author of this release and cannot approve it; ask another approver`);
  if (by === ctx.startedBy) return refuse(`${by} started this release and cannot approve it; ask another approver`);
  if (ctx.approvals.some((a) => a.by === by)) return refuse(`${by} has already approved this release`);
  if (ctx.rules.require?.comment && !inputs.comment?.trim()) return refuse('this approval policy requires a comment with every approval (--comment "<why>")');
  if (ctx.rules.require?.ticket && !inputs.ticket?.trim()) return refuse('this approval policy requires a change ticket with every approval (--ticket <id>)');
  if (ctx.rules.require?.signature && !inputs.signed) return refuse(`this approval policy requires signed approvals: approve with --sign <your SSH key> (its public key listed for ${by} under signers:)`);
  return { ok: true };
}

export function checkReject(ctx: ApprovalContext, by: string, reason: string | undefined): Verdict {
  const waiting = checkWaitingForApproval(ctx);
  if (!waiting.ok) return waiting;
  const approver = checkIsApprover(ctx, by);
  if (!approver.ok) return approver;
  if (!reason || !reason.trim()) return refuse('a rejection needs a reason (--reason)');
  return { ok: true };
}

/** The required groups no approval has come from yet. */
export function groupsStillToApprove(rules: ApprovalRules, approvals: ApprovalRecord[]): string[] {
  return (rules.requiredGroups ?? []).filter((group) => !approvals.some((a) => includes([`group:${group}`], rules.groups, a.by)));
}

/** Whether enough distinct approvers have approved, and every required group among them. */
export function approvalsSatisfied(rules: ApprovalRules, approvals: ApprovalRecord[]): boolean {
  return new Set(approvals.map((a) => a.by)).size >= rules.minApprovals && groupsStillToApprove(rules, approvals).length === 0;
}
