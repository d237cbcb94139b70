import type { Outcome } from '../shared/release';

/** The failure type a release ends with for each unsuccessful outcome (visible in the UI and to clients). */
export const FAILURE_TYPE: Record<Exclude<Outcome, 'succeeded'>, string> = {
  failed: 'ReleaseFailed',
  rejected: 'ReleaseRejected',
  aborted: 'ReleaseAborted',
  expired: 'ReleaseExpired',
  rolled_back: 'ReleaseRolledBack',
  refused: 'ReleaseRefused',
};

export function outcomeFromFailureType(type: string | undefined | null): Outcome | undefined {
  const entry = Object.entries(FAILURE_TYPE).find(([, t]) => t === type);
  return entry ? (entry[0] as Outcome) : undefined;
}

export function isSuccessful(outcome: Outcome): boolean {
  return outcome === 'succeeded';
}
