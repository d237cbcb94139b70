import { patched, sleep } from '@temporalio/workflow';
import { decideSoak } from '../policy/soak-precondition';
import type { ReleaseState } from './release-state';

/** Where the release deployed last, and when it finished there: the soak precondition counts from then. */
export interface PreviousDeploy {
  environment: string;
  deployedAtMs: number;
}

/**
 * Before a release enters an environment that says `soakInPrevious`, the version must
 * have run that long in the environment before it. The release waits on a durable timer
 * (through worker restarts), held visibly like a change window holds it (status, UI
 * details, GantryHold `soak`), then goes on by itself; an abort ends the wait.
 */
export async function awaitSoakInPrevious(release: ReleaseState, environment: string, previous: PreviousDeploy | undefined): Promise<void> {
  const soakMs = release.config.environments[environment].soakInPrevious;
  // Releases recorded before the soak precondition existed had no such field in their definition.
  if (soakMs === undefined || !previous || !patched('soak-in-previous')) return;
  const decision = decideSoak({ version: release.input.version, environment, previous, soakMs }, Date.now());
  if (decision.kind === 'allowed') return;
  release.record({ kind: 'change_held', environment, until: new Date(decision.untilMs).toISOString(), untilLocal: decision.until, hold: 'soak', reasons: [decision.reason] });
  await sleep(decision.untilMs - Date.now());
  release.record({ kind: 'change_allowed', environment });
}
