import type { RolloutStatus } from '../shared/rollout';
import type { Verdict } from './approval';
import { committedReason } from './steering';

/**
 * Anyone may abort a running release, but they must say who they are and why: the
 * abort is recorded for the auditor and stops whatever runs. Once the production
 * promotion is committed there is nothing left to abort: the new version serves.
 */
export function checkAbort(finished: boolean, by: string | undefined, reason: string | undefined, rollout?: RolloutStatus): Verdict {
  if (finished) return { ok: false, reason: 'the release has already ended' };
  if (rollout?.phase === 'promoting' || rollout?.phase === 'promoted') return { ok: false, reason: committedReason(rollout) };
  if (!by || !by.trim()) return { ok: false, reason: 'say who you are (by / --as)' };
  if (!reason || !reason.trim()) return { ok: false, reason: 'an abort needs a reason (--reason)' };
  return { ok: true };
}
