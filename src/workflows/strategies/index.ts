import { ApplicationFailure, ChildWorkflowCancellationType, executeChild, ParentClosePolicy, workflowInfo } from '@temporalio/workflow';
import type { STRATEGIES } from '../../config/service-catalogue';
import { FAILURE_TYPE } from '../../policy/outcome';
import type { ArtifactRef } from '../../shared/release';
import { type RolloutInput, rolloutWorkflowId } from '../../shared/rollout';
import { blueGreenRolloutWorkflow } from '../blue-green-rollout';
import { canaryRolloutWorkflow } from '../canary-rollout';
import { deployAllAtOnce } from '../deploy-all-at-once';
import type { ReleaseState } from '../release-state';
import { reportToEnvironment } from '../environment-record';
import { environmentPlacement } from '../release-hosts';
import { effectiveChangePolicy } from '../../policy/effective-change-policy';

/**
 * The deploy strategy seam: each strategy takes the release, an environment and the
 * artifact and returns once the new version serves all of that environment's traffic,
 * or throws with the old one serving.
 */
export type DeployStrategy = (release: ReleaseState, environment: string, artifact: ArtifactRef) => Promise<void>;

export const DEPLOY_STRATEGIES: Record<(typeof STRATEGIES)[number], DeployStrategy> = {
  allAtOnce: (release, environment, artifact) => deployAllAtOnce(release, environment, artifact),
  canary: (release, environment, artifact) => runRollout(release, environment, artifact, 'canary'),
  blueGreen: (release, environment, artifact) => runRollout(release, environment, artifact, 'blueGreen'),
};

/**
 * Progressive strategies run as a child workflow per environment. Aborting the release
 * cancels the child, which rolls back before it ends (the release waits for that).
 */
async function runRollout(release: ReleaseState, environment: string, artifact: ArtifactRef, strategy: 'canary' | 'blueGreen'): Promise<void> {
  const { service, version } = release.input;
  const { config, commandDir } = release;
  const settings = config.environments[environment];
  const changePolicy = effectiveChangePolicy(config.changePolicy, environment, settings.changePolicy);
  const input: RolloutInput = {
    service,
    environment,
    version,
    artifact,
    releaseWorkflowId: workflowInfo().workflowId,
    run: { command: config.run.command, healthPath: config.run.health, startTimeoutMs: config.run.startTimeout },
    router: settings.router,
    metrics: settings.metrics,
    canary: settings.canary,
    blueGreen: settings.blueGreen,
    smoke: config.smoke ? { command: config.smoke, cwd: commandDir, passEnv: config.passEnv, placement: release.hosts.workspace } : undefined,
    placement: await environmentPlacement(release, environment),
    ...(changePolicy ? { changePolicy, risk: release.input.risk ?? 'medium' } : {}),
    ...(config.roles ? { authority: release.authority() } : {}),
  };
  const workflowId = rolloutWorkflowId(service, environment, version);
  const emergency = release.emergencyException();
  if (emergency) {
    input.emergency = emergency;
    release.emergencyToldTo = workflowId;
  }
  release.rolloutWorkflowId = workflowId;
  release.rolloutEnded = false;
  release.waitFor(`the ${strategy === 'canary' ? 'canary' : 'blue/green'} rollout ${workflowId}`);
  let result: Awaited<ReturnType<typeof canaryRolloutWorkflow>>;
  try {
    result = await executeChild(strategy === 'canary' ? canaryRolloutWorkflow : blueGreenRolloutWorkflow, {
      workflowId,
      args: [input],
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${strategy === 'canary' ? 'Canary' : 'Blue/green'} of ${service} ${version} in ${environment}`,
    });
  } finally {
    // Steering updates waiting for the rollout's decision stop waiting now.
    release.rolloutEnded = true;
  }
  release.observeRollout(result.status);
  if (result.outcome === 'rolled_back') {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.rolled_back, message: result.reason ?? 'rolled back', nonRetryable: true });
  }
  release.record({ kind: 'deployed', environment, version, digest: artifact.digest, url: result.status.routerUrl ?? '' });
  await reportToEnvironment(release, environment, { kind: 'deployed', version, digest: artifact.digest, url: result.status.routerUrl ?? '' });
}
