import { CancellationScope, condition, patched } from '@temporalio/workflow';
import type { Route } from '../providers/router/router';
import type { Instance } from '../shared/release';
import type { RolloutInput, RolloutPhase, RolloutResult, SteerPayload } from '../shared/rollout';
import { instanceIdFor } from '../policy/environment-restore';
import { control, delivery, routing } from './activity-stubs';
import type { RolloutState } from './rollout-state';

/** Steps both progressive strategies take: prepare, split traffic, wait while paused, promote, roll back. */

/**
 * What a rollout starts from: the version serving now (if any), the router in front of
 * the environment, and the ID the new version's instance will have (known before it
 * starts, so an abort during the start still cleans it up).
 */
export async function prepareRollout(input: RolloutInput, rollout: RolloutState): Promise<{ stable?: Instance; routerUrl: string; newId: string }> {
  const { service, environment } = input;
  const stable = (await control.activeInstance({ service, environment })) ?? undefined;
  rollout.status.stableVersion = stable?.artifact.version;
  const { url: routerUrl } = await routing.ensureRouter({ service, environment, router: input.router });
  rollout.status.routerUrl = routerUrl;
  // The release forwards steering only once it has heard from its rollout: report before
  // the new version starts (which may take minutes), so people can steer meanwhile.
  if (patched('rollout-reports-before-start')) rollout.report();
  return { stable, routerUrl, newId: instanceIdFor(input.version, input.artifact.digest) };
}

/** Starts the new version beside the stable one; resolves once it is healthy. */
export function startNewVersion(input: RolloutInput): Promise<Instance> {
  return delivery.startInstance({
    service: input.service,
    environment: input.environment,
    artifact: input.artifact,
    command: input.run.command,
    healthPath: input.run.healthPath,
    startTimeoutMs: input.run.startTimeoutMs,
  });
}

/** Holds the rollout where it is until a person resumes, promotes or rolls back; then carries on as `resumeAs`. */
export async function waitWhilePaused(rollout: RolloutState, resumeAs: RolloutPhase = 'progressing'): Promise<void> {
  rollout.status.phase = 'paused';
  rollout.status.nextCheckAt = undefined;
  rollout.report();
  await condition(() => !rollout.paused || rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined);
  rollout.paused = false;
  rollout.status.pausedBecause = undefined;
  rollout.status.phase = resumeAs;
  rollout.report();
}

/**
 * Called before a rollout moves public traffic. A pause or rollback that arrived while
 * it was busy (starting, verifying, measuring) takes effect here, before the new version
 * gets more traffic: a pause holds the rollout until it is resumed or promoted; returns
 * the rollback's reason when the rollout must end instead.
 */
export async function holdBeforeTrafficMoves(rollout: RolloutState, resumeAs: RolloutPhase): Promise<string | undefined> {
  const holding = rollout.paused && !rollout.promoteRequest && !rollout.rollbackRequest;
  if (!holding && !rollout.rollbackRequest) return undefined;
  // Rollouts that ran before this hold existed moved traffic first; their replays must too.
  if (!patched('hold-before-traffic-moves')) return undefined;
  if (holding) await waitWhilePaused(rollout, resumeAs);
  return rollout.rollbackRequest ? rolledBackBy(rollout.rollbackRequest) : undefined;
}

/** A person's rollback as a reason: who, and why when they said. */
export function rolledBackBy(request: SteerPayload): string {
  return `rolled back by ${request.by}${request.reason ? `: ${request.reason}` : ''}`;
}

export function routes(stable: Instance | undefined, canary: Instance, canaryWeight: number): Route[] {
  const table: Route[] = [{ instanceId: canary.id, version: canary.artifact.version, url: canary.url, weight: canaryWeight, role: 'canary' }];
  if (stable) table.unshift({ instanceId: stable.id, version: stable.artifact.version, url: stable.url, weight: 100 - canaryWeight, role: 'stable' });
  return table;
}

export async function setSplit(input: RolloutInput, rollout: RolloutState, stable: Instance, canary: Instance, canaryWeight: number): Promise<void> {
  await routing.setRoutes({ service: input.service, environment: input.environment, router: input.router, routes: routes(stable, canary, canaryWeight) });
  rollout.status.weights = { stable: 100 - canaryWeight, canary: canaryWeight };
  rollout.report();
}

/** The canary becomes stable: all traffic, the runtime's active instance, and the old version retired. */
export async function promote(input: RolloutInput, rollout: RolloutState, canary: Instance, stable: Instance | undefined, reason?: string): Promise<void> {
  const { service, environment } = input;
  await routing.setRoutes({
    service,
    environment,
    router: input.router,
    routes: [{ instanceId: canary.id, version: canary.artifact.version, url: canary.url, weight: 100, role: 'stable' }],
  });
  await control.activateInstance({ service, environment, instanceId: canary.id });
  if (stable && stable.id !== canary.id) await control.stopInstance({ service, environment, instanceId: stable.id });
  rollout.status.weights = { stable: 0, canary: 100 };
  rollout.status.stableVersion = canary.artifact.version;
  rollout.status.phase = 'promoted';
  rollout.status.nextCheckAt = undefined;
  // A pause that arrived while the promotion ran has nothing left to hold.
  rollout.status.pausedBecause = undefined;
  rollout.status.reason = reason;
  rollout.report();
}

export async function rolledBack(input: RolloutInput, rollout: RolloutState, stable: Instance, canary: Instance, reason: string): Promise<RolloutResult> {
  await CancellationScope.nonCancellable(() => rollBack(input, rollout, stable, canary.id, reason));
  return { outcome: 'rolled_back', reason, status: rollout.status };
}

/** Stable takes all traffic again and the canary is stopped; runs to completion whatever happens. */
export async function rollBack(input: RolloutInput, rollout: RolloutState, stable: Instance | undefined, canaryId: string, reason: string): Promise<void> {
  const { service, environment } = input;
  rollout.status.phase = 'rolling_back';
  // Steering ends here, so a pause still pending would only leave a stale line in the status.
  rollout.status.pausedBecause = undefined;
  rollout.report();
  if (stable) {
    await routing.setRoutes({
      service,
      environment,
      router: input.router,
      routes: [{ instanceId: stable.id, version: stable.artifact.version, url: stable.url, weight: 100, role: 'stable' }],
    });
  }
  if (canaryId !== stable?.id) await control.stopInstance({ service, environment, instanceId: canaryId });
  rollout.status.weights = { stable: 100, canary: 0 };
  rollout.status.phase = 'rolled_back';
  rollout.status.nextCheckAt = undefined;
  rollout.status.reason = reason;
  rollout.report();
}
