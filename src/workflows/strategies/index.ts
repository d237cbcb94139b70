import { ApplicationFailure, ChildWorkflowCancellationType, executeChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import type { STRATEGIES } from '../../config/service-catalogue';
import { FAILURE_TYPE } from '../../policy/outcome';
import type { ArtifactRef } from '../../shared/release';
import { type RolloutInput, rolloutWorkflowId } from '../../shared/rollout';
import { blueGreenRolloutWorkflow } from '../blue-green-rollout';
import { canaryRolloutWorkflow } from '../canary-rollout';
import { deployAllAtOnce } from '../deploy-all-at-once';
import type { ReleaseState } from '../release-state';

/**
 * The production strategy seam: each strategy takes the release and the artifact and
 * returns once the new version serves all traffic, or throws with the old one serving.
 */
export type ProductionStrategy = (release: ReleaseState, artifact: ArtifactRef) => Promise<void>;

export const PRODUCTION_STRATEGIES: Record<(typeof STRATEGIES)[number], ProductionStrategy> = {
  allAtOnce: (release, artifact) => deployAllAtOnce(release, 'production', artifact),
  canary: (release, artifact) => runRollout(release, artifact, 'canary'),
  blueGreen: (release, artifact) => runRollout(release, artifact, 'blueGreen'),
};

/**
 * Progressive strategies run as a child workflow per environment. Aborting the release
 * cancels the child, which rolls back before it ends (the release waits for that).
 */
async function runRollout(release: ReleaseState, artifact: ArtifactRef, strategy: 'canary' | 'blueGreen'): Promise<void> {
  const { service, version } = release.input;
  const { config, commandDir } = release;
  const production = config.environments.production;
  const input: RolloutInput = {
    service,
    environment: 'production',
    version,
    artifact,
    releaseWorkflowId: workflowInfo().workflowId,
    run: { command: config.run.command, healthPath: config.run.health, startTimeoutMs: config.run.startTimeout },
    router: production.router,
    metrics: production.metrics,
    canary: production.canary,
    blueGreen: production.blueGreen,
    smoke: config.smoke ? { command: config.smoke, cwd: commandDir, passEnv: config.passEnv } : undefined,
  };
  const workflowId = rolloutWorkflowId(service, 'production', version);
  release.rolloutWorkflowId = workflowId;
  release.waitFor(`the ${strategy === 'canary' ? 'canary' : 'blue/green'} rollout ${workflowId}`);
  let result: Awaited<ReturnType<typeof canaryRolloutWorkflow>>;
  try {
    result = await executeChild(strategy === 'canary' ? canaryRolloutWorkflow : blueGreenRolloutWorkflow, {
      workflowId,
      args: [input],
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${strategy === 'canary' ? 'Canary' : 'Blue/green'} of ${service} ${version} in production`,
    });
  } finally {
    // Steering updates waiting for the rollout's decision stop waiting now.
    release.rolloutEnded = true;
  }
  release.status.rollout = result.status;
  if (result.outcome === 'rolled_back') {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.rolled_back, message: result.reason ?? 'rolled back', nonRetryable: true });
  }
  release.status.environments.production = { version, url: result.status.routerUrl ?? '' };
}
