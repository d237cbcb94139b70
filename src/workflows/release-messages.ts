import { ApplicationFailure, type CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { checkAbort } from '../policy/abort';
import { checkRole } from '../policy/authority';
import { environmentPlan } from '../policy/environment-plan';
import { type DecisionStatement, checkStatement } from '../policy/signed-statement';
import type { SignedRecord } from '../shared/release';
import { control } from './activity-stubs';
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
  const message = (
    name: 'approve' | 'reject' | 'abort',
    by: string | undefined,
    reason: string | undefined,
    via: 'update' | 'signal',
    verdict: Verdict,
    ticket?: string,
    signed?: SignedRecord,
  ): MessageEvent => ({
    kind: 'message',
    message: name,
    by: by ?? '(nobody)',
    reason,
    via,
    ...(ticket ? { ticket } : {}),
    ...(signed ? { signed } : {}),
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

  /** Takes an approval; a signed one only once its signature checks out (a signal's refusal is recorded, an update's thrown). */
  const approve = async (p: ApprovePayload, via: 'update' | 'signal'): Promise<DecisionAnswer | undefined> => {
    let signed: SignedRecord | undefined;
    if (p.signature) {
      // The statement was checked when the message arrived; the signature needs cryptography, so an activity checks it.
      const check = await control.verifyDecisionSignature({ ...p.signature, keys: release.config.signers?.[p.by] ?? [] });
      // Meanwhile the release may have moved on: the approval must still be one it can take.
      const verdict: Verdict = check.ok ? approveCheck(p) : { ok: false, reason: `signature refused: ${check.reason}` };
      if (!verdict.ok) {
        if (via === 'signal') {
          ignore('approve', p.by, p.comment, verdict);
          return undefined;
        }
        release.decisions.refusedUpdate(message('approve', p.by, p.comment, via, verdict, p.ticket));
        throw ApplicationFailure.create({ type: 'ApprovalRefused', nonRetryable: true, message: verdict.reason });
      }
      if (check.ok) signed = { ...p.signature, fingerprint: check.fingerprint };
    }
    release.record(message('approve', p.by, p.comment, via, { ok: true }, p.ticket, signed));
    release.waitFor(approvalWaitText(release));
    return answer(`approved by ${p.by}${signed ? ` (signed with ${signed.fingerprint})` : ''} (${s.approvals.length} of ${s.approvalsRequired})`);
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
  const approveCheck = (p: ApprovePayload | undefined): Verdict => {
    const verdict = checkApprove(approvalContext(), p?.by as string, { comment: p?.comment, ticket: p?.ticket, signed: p?.signature !== undefined });
    if (!verdict.ok || !p?.signature) return verdict;
    return checkStatement(p.signature.statement, signedApproval(release, p.by), Date.now());
  };

  setHandler(approveUpdate, async (p) => (await approve(p, 'update')) as DecisionAnswer, { validator: (p) => enforce('approve', p?.by, p?.comment, approveCheck(p)) });
  setHandler(rejectUpdate, (p) => reject(p, 'update'), { validator: (p) => enforce('reject', p?.by, p?.reason, checkReject(approvalContext(), p?.by, p?.reason)) });
  setHandler(abortUpdate, abortAndAwait, { validator: (p) => enforce('abort', p?.by, p?.reason, abortCheck(p)) });

  setHandler(approveSignal, async (p) => {
    if (!ignore('approve', p?.by, p?.comment, approveCheck(p))) await approve(p, 'signal');
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

/** What an approver of this release signs (the time aside). */
function signedApproval(release: ReleaseState, identity: string): Omit<DecisionStatement, 'time'> {
  const { service, version } = release.input;
  const environment = environmentPlan(release.config.environments).find((e) => e.approvalFirst)?.name ?? '';
  return { action: 'approve', service, version, artifact: release.status.artifact?.digest ?? '', environment, identity };
}

export function approvalWaitText(release: ReleaseState): string {
  const s = release.status;
  const missing = Math.max(0, s.approvalsRequired - s.approvals.length);
  const groups = groupsStillToApprove(release.approvalPolicy(), s.approvals);
  const who = s.approvers.filter((a) => a !== s.author && a !== s.startedBy).join(', ');
  const needed = [...(missing > 0 ? [`${missing} more approval${missing === 1 ? '' : 's'}`] : []), ...(groups.length ? [`one from each of ${groups.join(', ')}`] : [])].join(', ');
  // The approval that completes the gate lands before the release moves on: say so rather than ask for nothing.
  if (!needed) return `the release to move on: ${s.approvals.length} of ${s.approvalsRequired} approvals given`;
  return `${needed} from ${who} (until ${s.approvalDeadline})`;
}
