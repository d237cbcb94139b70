import type { Verdict } from './approval';

/**
 * Anyone may abort a running release, but they must say who they are and why: the
 * abort is recorded for the auditor and stops whatever runs.
 */
export function checkAbort(finished: boolean, by: string | undefined, reason: string | undefined): Verdict {
  if (finished) return { ok: false, reason: 'the release has already ended' };
  if (!by || !by.trim()) return { ok: false, reason: 'say who you are (by / --as)' };
  if (!reason || !reason.trim()) return { ok: false, reason: 'an abort needs a reason (--reason)' };
  return { ok: true };
}
