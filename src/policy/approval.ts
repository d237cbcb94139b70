import type { ApprovalRecord, Stage } from '../shared/release';

/**
 * Who may approve or reject a production deploy, decided from the service's rules and
 * what has happened so far. Pure: the workflow, the CLI and tests all call it.
 *
 * Example: approvers [alice, bob], minApprovals 2, author alice. bob approves → accepted
 * (1 of 2). alice approves → refused: the author cannot approve their own release; with
 * nobody else in the list the release can only expire or be rejected, which is why
 * config validation refuses minApprovals larger than the approver list.
 */

export interface ApprovalRules {
  approvers: string[];
  minApprovals: number;
}

export interface ApprovalContext {
  rules: ApprovalRules;
  author: string;
  stage: Stage;
  /** Whether the release already ended (any outcome). */
  finished: boolean;
  /** Whether the release has been through its approval stage (it is deploying past it, or done). */
  approvalPassed: boolean;
  approvals: ApprovalRecord[];
}

export type Verdict = { ok: true } | { ok: false; reason: string };

const refuse = (reason: string): Verdict => ({ ok: false, reason });

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
  if (!ctx.rules.approvers.includes(by)) {
    return refuse(`${by} is not an approver of this service (approvers: ${ctx.rules.approvers.join(', ') || 'none'})`);
  }
  return { ok: true };
}

export function checkApprove(ctx: ApprovalContext, by: string): Verdict {
  const waiting = checkWaitingForApproval(ctx);
  if (!waiting.ok) return waiting;
  const approver = checkIsApprover(ctx, by);
  if (!approver.ok) return approver;
  if (by === ctx.author) return refuse(`${by} is the author of this release and cannot approve it; ask another approver`);
  if (ctx.approvals.some((a) => a.by === by)) return refuse(`${by} has already approved this release`);
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

/** Whether enough distinct approvers have approved. */
export function approvalsSatisfied(rules: ApprovalRules, approvals: ApprovalRecord[]): boolean {
  return new Set(approvals.map((a) => a.by)).size >= rules.minApprovals;
}


