import { CancelledFailure, CancellationScope, condition, patched } from '@temporalio/workflow';
import type { Route } from '../contracts/routes';
import type { Instance } from '../shared/release';
import type { RolloutInput, RolloutPhase, RolloutResult, SteerPayload } from '../shared/rollout';
import { instanceIdFor } from '../policy/environment-restore';
import { onRolloutHost } from './rollout-host';
import type { RolloutState, SteeredRollout } from './rollout-state';

/** Steps both progressive strategies take: prepare, split traffic, wait while paused, promote, roll back. */

/**
 * What a rollout starts from: the version serving now (if any), the router in front of
 * the environment, and the ID the new version's instance will have (known before it
 * starts, so an abort during the start still cleans it up).
 */
export async function prepareRollout(input: RolloutInput, rollout: RolloutState): Promise<{ stable?: Instance; routerUrl: string; newId: string }> {
  const { service, environment } = input;
  const { control, routing } = onRolloutHost(input, rollout);
  const stable = (await control.activeInstance({ service, environment })) ?? undefined;
  const { url: routerUrl } = await routing.ensureRouter({ service, environment, router: input.router });
  rollout.record({ kind: 'stable_found', version: stable?.artifact.version, routerUrl });
  // The release forwards steering only once it has heard from its rollout: report before
  // the new version starts (which may take minutes), so people can steer meanwhile.
  if (patched('rollout-reports-before-start')) rollout.report();
  return { stable, routerUrl, newId: instanceIdFor(input.version, input.artifact.digest) };
}

/** Starts the new version beside the stable one; resolves once it is healthy. */
export function startNewVersion(input: RolloutInput, rollout: RolloutState): Promise<Instance> {
  return startInstanceOf(input, rollout, { artifact: input.artifact });
}

/** Starts (or adopts, when it runs healthy) an instance of an artifact in the rollout's environment. */
function startInstanceOf(input: RolloutInput, rollout: RolloutState, instance: Pick<Instance, 'artifact'>): Promise<Instance> {
  return onRolloutHost(input, rollout).delivery.startInstance({
    service: input.service,
    environment: input.environment,
    artifact: instance.artifact,
    command: input.run.command,
    healthPath: input.run.healthPath,
    startTimeoutMs: input.run.startTimeoutMs,
  });
}

/**
 * Holds the rollout where it is until a person resumes, promotes or rolls back; then
 * carries on as `resumeAs`. `why` is the policy's reason when it paused the rollout itself.
 */
export async function waitWhilePaused(rollout: SteeredRollout, resumeAs: RolloutPhase = 'progressing', why?: string): Promise<void> {
  rollout.record({ kind: 'held', ...(why ? { why } : {}) });
  rollout.report();
  await condition(() => !rollout.paused || rollout.promoteRequest !== undefined || rollout.rollbackRequest !== undefined);
  rollout.paused = false;
  rollout.record({ kind: 'resumed', phase: resumeAs });
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

/** Splits public traffic between stable and the new version; `step` is the canary step this split starts. */
export async function setSplit(input: RolloutInput, rollout: RolloutState, stable: Instance, canary: Instance, canaryWeight: number, step?: number): Promise<void> {
  await onRolloutHost(input, rollout).routing.setRoutes({ service: input.service, environment: input.environment, router: input.router, routes: routes(stable, canary, canaryWeight) });
  rollout.record({ kind: 'traffic', weights: { stable: 100 - canaryWeight, canary: canaryWeight }, ...(step === undefined ? {} : { step }) });
  rollout.report();
}

/**
 * The point of no return of a promotion. Before it, an accepted rollback or an abort
 * wins (the caller rolls back); from it on, steering is refused with the reason and
 * the promotion runs to its end whatever arrives, because it retires the old version:
 * nothing may send traffic back to an instance that is being stopped.
 * Returns the reason to roll back instead, or undefined once committed; throws the
 * cancellation when the release was aborted before this point.
 */
export async function commitPromotion(rollout: RolloutState): Promise<string | undefined> {
  // A pause taken before this point is honoured here, the last moment it can be.
  if (rollout.paused && !rollout.rollbackRequest) await waitWhilePaused(rollout);
  if (rollout.rollbackRequest) return rolledBackBy(rollout.rollbackRequest);
  if (CancellationScope.current().consideredCancelled) throw new CancelledFailure('the release was aborted before the promotion was committed');
  rollout.record({ kind: 'committed' });
  // Rollouts recorded before the commit point existed did not report it.
  if (patched('promotion-commit-point')) rollout.report();
  return undefined;
}

/**
 * The new version becomes stable: all traffic, the runtime's active instance, and only
 * then the old version retired. Call it after `commitPromotion`; it cannot be cancelled.
 */
export function promote(input: RolloutInput, rollout: RolloutState, canary: Instance, stable: Instance | undefined, reason?: string): Promise<void> {
  const { service, environment } = input;
  const { control, routing } = onRolloutHost(input, rollout);
  return CancellationScope.nonCancellable(async () => {
    await routing.setRoutes({
      service,
      environment,
      router: input.router,
      routes: [{ instanceId: canary.id, version: canary.artifact.version, url: canary.url, weight: 100, role: 'stable' }],
    });
    await control.activateInstance({ service, environment, instanceId: canary.id });
    if (stable && stable.id !== canary.id) await control.stopInstance({ service, environment, instanceId: stable.id });
    rollout.record({ kind: 'promoted', version: canary.artifact.version, reason });
    rollout.report();
  });
}

/** Commits and runs the promotion, or rolls back when a rollback or an abort got there first. */
export async function commitAndPromote(input: RolloutInput, rollout: RolloutState, canary: Instance, stable: Instance | undefined, reason?: string): Promise<RolloutResult> {
  const rollbackReason = await commitPromotion(rollout);
  if (rollbackReason) return rolledBack(input, rollout, stable, canary, rollbackReason);
  await promote(input, rollout, canary, stable, reason);
  return { outcome: 'promoted', reason, status: rollout.status };
}

/**
 * Before the first router write: the metrics source must answer, or nothing could judge
 * the new version once it takes traffic. Waits visibly (checking again at most every
 * 10 s) until it does; a rollback or an abort ends the wait. Returns the rollback's
 * reason when the rollout must end instead.
 */
export async function awaitMetricsSource(input: RolloutInput, rollout: RolloutState, intervalMs: number): Promise<string | undefined> {
  // Rollouts recorded before this check moved traffic at once; their replays must too.
  if (!patched('measure-before-moving')) return undefined;
  const { service, environment } = input;
  const { measuring } = onRolloutHost(input, rollout);
  for (;;) {
    const ready = await measuring.metricsSourceReady({ service, environment, metrics: input.metrics });
    if (ready.online) {
      if (rollout.status.waitingForMetrics) {
        rollout.record({ kind: 'metrics_online' });
        rollout.report();
      }
      return undefined;
    }
    const retryMs = Math.min(intervalMs, 10_000);
    rollout.record({
      kind: 'metrics_waiting',
      why: `the ${input.metrics.kind} metrics source does not answer (${ready.reason ?? 'no reason given'}); no traffic moves until it does; next try in ${Math.round(retryMs / 1000)} s`,
    });
    rollout.report();
    await condition(() => rollout.rollbackRequest !== undefined, retryMs);
    if (rollout.rollbackRequest) return rolledBackBy(rollout.rollbackRequest);
  }
}

export async function rolledBack(input: RolloutInput, rollout: RolloutState, stable: Instance | undefined, canary: Instance, reason: string): Promise<RolloutResult> {
  await CancellationScope.nonCancellable(() => rollBack(input, rollout, stable, canary.id, reason));
  return { outcome: 'rolled_back', reason, status: rollout.status };
}

/**
 * Stable takes all traffic again and the canary is stopped; runs to completion whatever
 * happens. Stable is started again first if it is gone (an instance that died, or one a
 * crash left stopping), so the router never points at nothing; it is made the active
 * instance again before the canary stops, so the environment's record never goes empty.
 */
export async function rollBack(input: RolloutInput, rollout: RolloutState, stable: Instance | undefined, canaryId: string, reason: string): Promise<void> {
  const { service, environment } = input;
  const { control, routing } = onRolloutHost(input, rollout);
  rollout.record({ kind: 'rolling_back', reason });
  rollout.report();
  if (stable) {
    // Starting a running instance adopts it as it is: cheap when stable is fine.
    const serving = patched('rollback-restarts-stable') ? await startInstanceOf(input, rollout, stable) : stable;
    await routing.setRoutes({
      service,
      environment,
      router: input.router,
      routes: [{ instanceId: serving.id, version: serving.artifact.version, url: serving.url, weight: 100, role: 'stable' }],
    });
    if (patched('rollback-restarts-stable')) await control.activateInstance({ service, environment, instanceId: serving.id });
  }
  if (canaryId !== stable?.id) await control.stopInstance({ service, environment, instanceId: canaryId });
  rollout.record({ kind: 'rolled_back', reason });
  rollout.report();
}
