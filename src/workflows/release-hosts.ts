import type { Placement } from '../policy/placement';
import { type ActivityStubs, control } from './activity-stubs';
import { activitiesOn, activitiesOnce } from './host-activities';
import { releaseHostWatch } from './host-watches';
import type { ReleaseState } from './release-state';

/**
 * Where a release's machine-local work runs: its checkout on the host that made it (the
 * build, tests, artifact and smoke tests go there), each environment on the host its
 * entity records. Learnt from activity results, so a replay reads them from history.
 */
export class ReleaseHosts {
  /** Whether this release sends machine-local work to hosts (patch 'worker-hosts'); older ones use the shared queue. */
  pinned = false;
  workspace?: Placement;
  readonly environments: Record<string, Placement> = {};
}

/** Pins the release's checkout to the host that made it: the build, tests, artifact and smoke tests go there. */
export function pinWorkspace(release: ReleaseState, checkout: { host?: string; taskQueue?: string }): void {
  if (!release.hosts.pinned || !checkout.host || !checkout.taskQueue) return;
  release.hosts.workspace = { host: checkout.host, taskQueue: checkout.taskQueue };
  release.record({ kind: 'workspace_placed', host: checkout.host });
}

/** Activities on the host that holds the release's checkout. */
export function workspaceActivities(release: ReleaseState): ActivityStubs {
  return activitiesOn(release.hosts.workspace, releaseHostWatch(release));
}

/** Removing the checkout does not wait for a host that is gone: the release ends, the folder stays. */
export function workspaceRemoval(release: ReleaseState): ActivityStubs {
  return activitiesOnce(release.hosts.workspace);
}

/**
 * The host an environment runs on: asked once per release (on the shared queue; the
 * first release there claims the host of the worker that answers), then remembered.
 * Call it while holding the environment's turn, so its entity exists.
 */
export async function environmentPlacement(release: ReleaseState, environment: string): Promise<Placement | undefined> {
  if (!release.hosts.pinned) return undefined;
  const known = release.hosts.environments[environment];
  if (known) return known;
  const placement = await control.placeEnvironment({ service: release.input.service, environment });
  release.hosts.environments[environment] = placement;
  release.record({ kind: 'environment_placed', environment, host: placement.host });
  return placement;
}

/** Activities on the host an environment runs on. */
export async function environmentActivities(release: ReleaseState, environment: string): Promise<ActivityStubs> {
  return activitiesOn(await environmentPlacement(release, environment), releaseHostWatch(release));
}
