import { getExternalWorkflowHandle, log, setHandler } from '@temporalio/workflow';
import { type ExceptionContext, checkEmergencyApproval, checkOverride } from '../policy/change-exceptions';
import type { Verdict } from '../policy/approval';
import type { MessageEvent } from '../shared/decision-events';
import { type DecisionAnswer, type ExceptionPayload, approveEmergencyUpdate, overrideUpdate } from '../shared/messages';
import { type ChangeException, changeExceptionSignal } from '../shared/rollout';
import type { ReleaseState } from './release-state';

/**
 * The exceptions to change management, taken as updates so a refusal is answered with
 * its reason (and heard by the audit): an emergency approver approves an emergency
 * release, a process owner overrides the one gate holding a release or its canary.
 * The release's own gate reads them from its state; a running canary is told by signal.
 */
export function registerChangeExceptions(release: ReleaseState): void {
  const s = release.status;
  const context = (): ExceptionContext => ({
    authority: release.authority(),
    author: release.input.author,
    finished: release.finished,
    emergency: s.emergency,
    heldBy: s.hold?.reasons[0] ?? (rolloutRunning(release) ? s.rollout?.changeGate : undefined),
    holdKind: s.hold?.kind,
  });
  const message = (name: 'approve_emergency' | 'override', p: ExceptionPayload | undefined, verdict: Verdict): MessageEvent => ({
    kind: 'message',
    message: name,
    by: p?.by ?? '(nobody)',
    reason: p?.reason,
    via: 'update',
    ...(verdict.ok ? { result: 'accepted' } : { result: 'refused', refusal: verdict.reason }),
  });
  const enforce = (name: 'approve_emergency' | 'override', p: ExceptionPayload | undefined, verdict: Verdict) => {
    if (verdict.ok) return;
    release.decisions.refusedUpdate(message(name, p, verdict));
    throw new Error(verdict.reason);
  };
  const answer = (text: string): DecisionAnswer => ({ accepted: true, approvals: s.approvals.length, approvalsRequired: s.approvalsRequired, message: text });

  setHandler(
    approveEmergencyUpdate,
    async (p) => {
      release.record(message('approve_emergency', p, { ok: true }));
      await tellRolloutOfEmergency(release);
      return answer(`emergency of ${s.service} ${s.version} (${s.emergency?.ticket}) approved by ${p.by}: it passes deploy windows, holidays and freezes`);
    },
    { validator: (p) => enforce('approve_emergency', p, checkEmergencyApproval(context(), p?.by, p?.reason)) },
  );

  setHandler(
    overrideUpdate,
    async (p) => {
      const heldBy = context().heldBy;
      release.record(message('override', p, { ok: true }));
      const override: ChangeException = { exception: 'override', by: p.by, reason: p.reason };
      if (s.hold) {
        release.pendingOverride = override;
        return answer(`override by ${p.by}: ${s.service} ${s.version} passes the gate before ${s.hold.environment} (${heldBy})`);
      }
      await signalRollout(release, override);
      return answer(`override by ${p.by}: the canary of ${s.service} ${s.version} passes the hold at ${s.rollout?.weights.canary} % (${heldBy})`);
    },
    { validator: (p) => enforce('override', p, checkOverride(context(), p?.by, p?.reason)) },
  );
}

function rolloutRunning(release: ReleaseState): boolean {
  // The rollout has reported (so it has started) and not ended.
  return release.rolloutWorkflowId !== undefined && !release.rolloutEnded && release.status.rollout !== undefined;
}

/**
 * Tells the running rollout of an approved emergency, once: called when the emergency is
 * approved and whenever the rollout reports, so a rollout that started between the two
 * still hears of it.
 */
export async function tellRolloutOfEmergency(release: ReleaseState): Promise<void> {
  const emergency = release.emergencyException();
  if (!emergency || !rolloutRunning(release) || release.emergencyToldTo === release.rolloutWorkflowId) return;
  release.emergencyToldTo = release.rolloutWorkflowId;
  await signalRollout(release, emergency);
}

async function signalRollout(release: ReleaseState, exception: ChangeException): Promise<void> {
  try {
    await getExternalWorkflowHandle(release.rolloutWorkflowId!).signal(changeExceptionSignal, exception);
  } catch (err) {
    // It ended meanwhile: there is no gate left to pass.
    log.info('the rollout ended before it heard of the exception', { rollout: release.rolloutWorkflowId, error: String(err) });
  }
}
