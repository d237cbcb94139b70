import { ApplicationFailure, type CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { checkAbort } from '../policy/abort';
import { checkRole } from '../policy/authority';
import { type ApprovalContext, type Verdict, checkApprove, checkReject, groupsStillToApprove } from '../policy/approval';
import {
  type AbortPayload,
  type ApprovePayload,
  type DecisionAnswer,
  type RejectPayload,
  abortSignal,
  abortUpdate,
  admissionUpdate,
  approveSignal,
  approveUpdate,
  lockGrantedSignal,
  rejectSignal,
  rejectUpdate,
  statusQuery,
} from '../shared/messages';
import { type MessageEvent, decisionsQuery } from '../shared/decision-events';
import type { ReleaseState } from './release-state';

/**
 * Registers every message handler of a release. Each decision is a policy check: as an
 * update a refusal is returned to the caller; as a signal (which cannot answer) it is
 * ignored and recorded in the status, so the attempt stays visible.
 */
export function registerReleaseMessages(release: ReleaseState, pipeline: CancellationScope): void {
  const s = release.status;
  const approvalContext = (): ApprovalContext => ({
    rules: release.approvalPolicy(),
    author: release.input.author,
    startedBy: release.input.startedBy,
    stage: s.stage,
    finished: release.finished,
    approvalPassed: s.timeline.some((t) => t.stage === 'approval' && t.endedAt !== undefined),
    approvals: s.approvals,
  });
  const answer = (message: string): DecisionAnswer => ({
    accepted: true,
    approvals: s.approvals.length,
    approvalsRequired: s.approvalsRequired,
    message,
  });
  const message = (name: 'approve' | 'reject' | 'abort', by: string | undefined, reason: string | undefined, via: 'update' | 'signal', verdict: Verdict, ticket?: string): MessageEvent => ({
    kind: 'message',
    message: name,
    by: by ?? '(nobody)',
    reason,
    via,
    ...(ticket ? { ticket } : {}),
    ...(verdict.ok ? { result: 'accepted' } : { result: 'refused', refusal: verdict.reason }),
  });
  /** A refused update leaves no trace in the history (validators may not change state): the audit hears of it. */
  const enforce = (name: 'approve' | 'reject' | 'abort', by: string | undefined, reason: string | undefined, verdict: Verdict) => {
    if (verdict.ok) return;
    release.decisions.refusedUpdate(message(name, by, reason, 'update', verdict));
    throw new Error(verdict.reason);
  };
  /** A refused signal cannot be answered: it is recorded, so the attempt stays visible in the status. */
  const ignore = (name: 'approve' | 'reject' | 'abort', by: string | undefined, reason: string | undefined, verdict: Verdict): boolean => {
    if (verdict.ok) return false;
    release.record(message(name, by, reason, 'signal', verdict));
    return true;
  };

  const approve = (p: ApprovePayload, via: 'update' | 'signal') => {
    release.record(message('approve', p.by, p.comment, via, { ok: true }, p.ticket));
    release.waitFor(approvalWaitText(release));
    return answer(`approved by ${p.by} (${s.approvals.length} of ${s.approvalsRequired})`);
  };
  const reject = (p: RejectPayload, via: 'update' | 'signal') => {
    release.record(message('reject', p.by, p.reason, via, { ok: true }));
    return answer(`rejected by ${p.by}: ${p.reason}`);
  };
  const abort = (p: AbortPayload, via: 'update' | 'signal') => {
    release.record(message('abort', p.by, p.reason, via, { ok: true }));
    pipeline.cancel();
  };
  /**
   * An abort is answered once it has taken effect or been refused, never before: a
   * production promotion committed just before the abort arrived wins, and the person
   * is told so rather than "abort requested" about an abort that never happened.
   */
  const abortAndAwait = async (p: AbortPayload): Promise<DecisionAnswer> => {
    abort(p, 'update');
    await condition(() => release.finished);
    if (s.outcome === 'aborted') return answer(`aborted by ${p.by}: ${p.reason}; every environment it touched is as it was before`);
    throw ApplicationFailure.create({ type: 'AbortRefused', nonRetryable: true, message: release.abortRefusal ?? `the release ended ${s.outcome} before the abort took effect` });
  };
  const abortCheck = (p: AbortPayload | undefined): Verdict => {
    const verdict = checkAbort(release.finished || !!s.abort, p?.by, p?.reason, s.rollout);
    return verdict.ok ? checkRole('abort', p?.by, release.authority()) : verdict;
  };
  const approveCheck = (p: ApprovePayload | undefined) => checkApprove(approvalContext(), p?.by as string, { comment: p?.comment, ticket: p?.ticket });

  setHandler(approveUpdate, (p) => approve(p, 'update'), { validator: (p) => enforce('approve', p?.by, p?.comment, approveCheck(p)) });
  setHandler(rejectUpdate, (p) => reject(p, 'update'), { validator: (p) => enforce('reject', p?.by, p?.reason, checkReject(approvalContext(), p?.by, p?.reason)) });
  setHandler(abortUpdate, abortAndAwait, { validator: (p) => enforce('abort', p?.by, p?.reason, abortCheck(p)) });

  setHandler(approveSignal, (p) => {
    if (!ignore('approve', p?.by, p?.comment, approveCheck(p))) approve(p, 'signal');
  });
  setHandler(rejectSignal, (p) => {
    if (!ignore('reject', p?.by, p?.reason, checkReject(approvalContext(), p?.by, p?.reason))) reject(p, 'signal');
  });
  setHandler(abortSignal, (p) => {
    if (!ignore('abort', p?.by, p?.reason, abortCheck(p))) abort(p, 'signal');
  });

  setHandler(admissionUpdate, async () => {
    await condition(() => release.admitted || release.finished);
    if (!release.admitted || !s.source || !s.catalogue) {
      throw ApplicationFailure.create({ type: 'ReleaseRefused', nonRetryable: true, message: s.reason ?? `the release ended ${s.outcome} before it was admitted` });
    }
    return {
      admitted: true as const,
      service: s.service,
      version: s.version,
      commit: s.source.commit,
      catalogueDigest: s.catalogue.digest,
      message: `admitted ${s.service} ${s.version} at ${s.source.commit.slice(0, 12)} under catalogue ${s.catalogue.digest.slice(0, 19)}…`,
    };
  });

  setHandler(lockGrantedSignal, ({ lockId }) => {
    release.grantedLocks.add(lockId);
  });
  setHandler(statusQuery, () => s);
  setHandler(decisionsQuery, () => release.decisions.events());
}

export function approvalWaitText(release: ReleaseState): string {
  const s = release.status;
  const missing = Math.max(0, s.approvalsRequired - s.approvals.length);
  const groups = groupsStillToApprove(release.approvalPolicy(), s.approvals);
  const who = s.approvers.filter((a) => a !== s.author && a !== s.startedBy).join(', ');
  const needed = [...(missing > 0 ? [`${missing} more approval${missing === 1 ? '' : 's'}`] : []), ...(groups.length ? [`one from each of ${groups.join(', ')}`] : [])].join(', ');
  return `${needed} from ${who} (until ${s.approvalDeadline})`;
}
