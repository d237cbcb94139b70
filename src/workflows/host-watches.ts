import type { HostWatch } from './host-activities';
import type { ReleaseState } from './release-state';
import type { RolloutState } from './rollout-state';

/**
 * A release shows a host that does not answer as what it waits for, and goes back to
 * what it waited for before once the host answers.
 */
export function releaseHostWatch(release: ReleaseState): HostWatch {
  let before: string | undefined;
  let showing = false;
  return {
    unanswered(text) {
      if (!showing) before = release.status.waitingFor;
      showing = true;
      release.waitFor(text);
    },
    answered() {
      if (!showing) return;
      showing = false;
      release.waitFor(before);
    },
  };
}

/** A rollout shows it in its status (`hostUnavailable`), reported to the release and the UI. */
export function rolloutHostWatch(rollout: Pick<RolloutState, 'status' | 'report' | 'record'>): HostWatch {
  return {
    unanswered(text) {
      rollout.record({ kind: 'host_unanswered', why: text });
      rollout.report();
    },
    answered() {
      if (rollout.status.hostUnavailable === undefined) return;
      rollout.record({ kind: 'host_answered' });
      rollout.report();
    },
  };
}
