import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { checkSteer } from '../policy/steering';
import { type DecisionAnswer } from '../shared/messages';
import {
  type PromotePayload,
  type SteerPayload,
  pauseSignal,
  promoteSignal,
  resumeSignal,
  rollbackSignal,
  rolloutProgressSignal,
} from '../shared/rollout';
import { pauseUpdate, promoteUpdate, resumeUpdate, rollbackUpdate } from '../shared/messages';
import type { ReleaseState } from './release-state';

/**
 * Pause, resume, promote and roll back a release's production rollout through the
 * release itself (one ID for people to remember): as updates (refusals answered) and
 * signals (refusals recorded), forwarded to the rollout child workflow.
 */
export function registerRolloutSteering(release: ReleaseState): void {
  const s = release.status;
  const verdict = (action: string, p: SteerPayload) => checkSteer(action, s.rollout, release.finished, p?.by, p?.reason);
  const forward = async <T extends SteerPayload>(signal: typeof pauseSignal | typeof promoteSignal, payload: T): Promise<void> => {
    await getExternalWorkflowHandle(release.rolloutWorkflowId!).signal(signal as typeof promoteSignal, payload as PromotePayload);
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
        await forward(signal, p);
        return answer(`${action}${action === 'promote' && p.full ? ' --full' : ''} sent to ${release.rolloutWorkflowId} by ${p.by}`);
      },
      {
        validator: (p: PromotePayload) => {
          const v = verdict(action, p);
          if (!v.ok) throw new Error(v.reason);
        },
      },
    );
    setHandler(signal, async (p: PromotePayload) => {
      const v = verdict(action, p);
      if (!v.ok) {
        s.ignored.push({ message: action, by: p?.by ?? '(nobody)', reason: v.reason, at: release.now() });
        return;
      }
      await forward(signal, p);
    });
  }
  setHandler(rolloutProgressSignal, (rollout) => {
    s.rollout = rollout;
    release.waitFor(`the ${rollout.strategy} rollout: ${rollout.phase}, ${rollout.weights.canary} % on ${rollout.canaryVersion}`);
  });
}
