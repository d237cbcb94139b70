import { ApplicationFailure, condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { checkSteer } from '../policy/steering';
import { checkRole } from '../policy/authority';
import { type DecisionAnswer, pauseUpdate, promoteUpdate, resumeUpdate, rollbackUpdate } from '../shared/messages';
import {
  type PromotePayload,
  type SteerDecision,
  type SteerPayload,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  rolloutProgressSignal,
} from '../shared/rollout';
import type { MessageEvent } from '../shared/decision-events';
import type { ReleaseState } from './release-state';
import { tellRolloutOfEmergency } from './release-exceptions';

/**
 * Pause, resume, promote and roll back a release's production rollout through the
 * release itself (one ID for people to remember): as updates (refusals answered) and
 * signals (refusals recorded), forwarded to the rollout child workflow.
 *
 * The release checks a message against the rollout's last report, which can be a
 * moment old; the rollout checks it again against its own state and records its
 * decision, and an update is answered from that decision. So a rollback that reaches
 * the rollout after its promotion was committed is refused, not reported as sent.
 */
export function registerRolloutSteering(release: ReleaseState): void {
  const s = release.status;
  let forwarded = 0;
  const verdict = (action: 'pause' | 'resume' | 'promote' | 'rollback', p: SteerPayload) => {
    const steer = checkSteer(action, s.rollout, release.finished, p?.by, p?.reason);
    return steer.ok ? checkRole(action, p?.by, release.authority()) : steer;
  };
  const decisionFor = (requestId: string): SteerDecision | undefined => s.rollout?.decisions.find((d) => d.requestId === requestId);

  /** Sends the message to the rollout; the request ID lets the release find the rollout's decision on it. */
  const forward = async (signal: typeof pauseSignal | typeof promoteSignal, payload: PromotePayload): Promise<string> => {
    forwarded += 1;
    const requestId = `${signal.name}-${forwarded}`;
    await getExternalWorkflowHandle(release.rolloutWorkflowId!).signal(signal as typeof promoteSignal, { ...payload, requestId });
    return requestId;
  };
  /** The rollout's decision on a forwarded message, or why there will be none. */
  const awaitDecision = async (action: string, requestId: string): Promise<SteerDecision | string> => {
    await condition(() => decisionFor(requestId) !== undefined || release.rolloutEnded || release.finished);
    return decisionFor(requestId) ?? `the rollout ended (${s.rollout?.phase.replace('_', ' ') ?? 'unknown'}) before it took the ${action}`;
  };
  /** An update refused after it was accepted for delivery: the audit hears of it, the caller is told. */
  const refused = (action: Action, p: PromotePayload, reason: string) => {
    release.decisions.refusedUpdate(refusedMessage(action, p, 'update', reason));
    return ApplicationFailure.create({ type: 'SteeringRefused', nonRetryable: true, message: reason });
  };
  const answer = (message: string): DecisionAnswer => ({ accepted: true, approvals: s.approvals.length, approvalsRequired: s.approvalsRequired, message });

  const steer = [
    ['pause', pauseSignal, pauseUpdate],
    ['resume', resumeSignal, resumeUpdate],
    ['promote', promoteSignal, promoteUpdate],
    ['rollback', rollbackSignal, rollbackUpdate],
  ] as const;
  for (const [action, signal, update] of steer) {
    setHandler(
      update,
      async (p: PromotePayload) => {
        let requestId: string;
        try {
          requestId = await forward(signal, p);
        } catch {
          throw refused(action, p, `the rollout ${release.rolloutWorkflowId} has already ended`);
        }
        const decision = await awaitDecision(action, requestId);
        if (typeof decision === 'string') throw refused(action, p, decision);
        // The rollout's own record already holds its refusal.
        if (decision.result === 'refused') throw ApplicationFailure.create({ type: 'SteeringRefused', nonRetryable: true, message: decision.refusal ?? `the rollout refused the ${action}` });
        return answer(`${action}${action === 'promote' && p.full ? ' --full' : ''} taken by ${release.rolloutWorkflowId} from ${p.by}`);
      },
      {
        validator: (p: PromotePayload) => {
          const v = verdict(action, p);
          if (!v.ok) {
            release.decisions.refusedUpdate(refusedMessage(action, p, 'update', v.reason));
            throw new Error(v.reason);
          }
        },
      },
    );
    setHandler(signal, async (p: PromotePayload) => {
      const v = verdict(action, p);
      if (!v.ok) {
        release.record(refusedMessage(action, p, 'signal', v.reason));
        return;
      }
      // A refusal by the rollout itself is recorded in its decisions, which the status shows.
      try {
        await forward(signal, p);
      } catch {
        release.record(refusedMessage(action, p, 'signal', `the rollout ${release.rolloutWorkflowId} has already ended`));
      }
    });
  }
  setHandler(rolloutProgressSignal, (rollout) => {
    // Reports can arrive out of order: keep the newest. Reports recorded before they were
    // numbered have no revision and are taken in arrival order, as they were then.
    if ((rollout.revision ?? 0) < (s.rollout?.revision ?? 0)) return;
    release.observeRollout(rollout);
    release.waitFor(`the ${rollout.strategy} rollout: ${rollout.phase}, ${rollout.weights.canary} % on ${rollout.canaryVersion}`);
    return tellRolloutOfEmergency(release);
  });
}

/** A steering message the release refused, as its record keeps it. */
type Action = 'pause' | 'resume' | 'promote' | 'rollback';

function refusedMessage(action: Action, p: PromotePayload | undefined, via: 'update' | 'signal', refusal: string): MessageEvent {
  return {
    kind: 'message',
    message: action === 'promote' && p?.full ? 'promote_full' : action,
    by: p?.by ?? '(nobody)',
    reason: p?.reason,
    via,
    result: 'refused',
    refusal,
  };
}
