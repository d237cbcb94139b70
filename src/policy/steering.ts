import type { RolloutStatus } from '../shared/rollout';
import type { Verdict } from './approval';

const FINAL_PHASES: RolloutStatus['phase'][] = ['promoting', 'promoted', 'rolled_back', 'rolling_back'];

/**
 * Whether a person may steer (pause, resume, promote, roll back) a release's rollout now.
 * Promote and roll back are recorded for the auditor, so they need a reason.
 */
export function checkSteer(action: string, rollout: RolloutStatus | undefined, releaseFinished: boolean, by: string | undefined, reason: string | undefined): Verdict {
  if (releaseFinished) return { ok: false, reason: 'the release has already ended' };
  if (!rollout) return { ok: false, reason: `there is no rollout to ${action}: the release is not in a canary or blue/green production stage` };
  if (rollout.phase === 'promoting') return { ok: false, reason: committedReason(rollout) };
  if (FINAL_PHASES.includes(rollout.phase)) return { ok: false, reason: `the rollout is already ${rollout.phase.replace('_', ' ')}` };
  if (!by || !by.trim()) return { ok: false, reason: 'say who you are (by / --as)' };
  if ((action === 'promote' || action === 'rollback') && (!reason || !reason.trim())) {
    return { ok: false, reason: `a ${action} needs a reason (--reason)` };
  }
  if (action === 'resume' && rollout.phase !== 'paused' && !pausePending(rollout)) return { ok: false, reason: `the rollout is not paused (it is ${rollout.phase})` };
  if (action === 'pause' && rollout.phase === 'paused') return { ok: false, reason: 'the rollout is already paused' };
  if (action === 'pause' && pausePending(rollout)) {
    return { ok: false, reason: `a pause is already pending: the rollout holds before traffic moves (it is ${rollout.phase})` };
  }
  return { ok: true };
}

/**
 * A pause the rollout took but cannot act on yet: while the new version starts or green
 * is verified it holds only when it reaches the point where traffic would move. Until
 * then its phase is still `starting` or `verifying`, and only `pausedBecause` says a
 * pause is coming; a resume meanwhile cancels it, so the rollout never holds.
 */
function pausePending(rollout: RolloutStatus): boolean {
  return rollout.phase !== 'paused' && rollout.pausedBecause !== undefined;
}

/**
 * Why nothing can turn a promotion back once it is committed: the old version is being
 * retired, so switching traffic back to it would send people to a stopped service.
 */
export function committedReason(rollout: Pick<RolloutStatus, 'canaryVersion' | 'committedAt'>): string {
  return `the promotion of ${rollout.canaryVersion} was committed${rollout.committedAt ? ` at ${rollout.committedAt}` : ''}: the old version is being retired, so it can no longer be paused, aborted or rolled back; release a fix or the previous version instead`;
}
