import {
  ApplicationFailure,
  ActivityFailure,
  CancellationScope,
  TemporalFailure,
  allHandlersFinished,
  condition,
  isCancellation,
} from '@temporalio/workflow';
import { approvalsSatisfied } from '../policy/approval';
import { FAILURE_TYPE, outcomeFromFailureType } from '../policy/outcome';
import type { ArtifactRef, Outcome, ReleaseInput, ReleaseResult } from '../shared/release';
import { commands, delivery } from './activity-stubs';
import { deployAllAtOnce } from './deploy-all-at-once';
import { withEnvironmentTurn } from './environment-turn';
import { approvalWaitText, registerReleaseMessages } from './release-messages';
import { ReleaseState } from './release-state';
import { registerRolloutSteering } from './release-steering';
import { restoreEnvironments } from './restore-environments';
import { PRODUCTION_STRATEGIES } from './strategies';

/**
 * One release of one service version, from build to production:
 * build → test → artifact → staging → approval → production → done.
 * An abandoned release (failed, rejected, expired, aborted) puts every environment it
 * touched back as it was and ends as a failed workflow whose type names the outcome.
 */
export async function releaseWorkflow(input: ReleaseInput): Promise<ReleaseResult> {
  assertUsableInput(input);
  const release = new ReleaseState(input);
  const pipeline = new CancellationScope();
  registerReleaseMessages(release, pipeline);
  registerRolloutSteering(release);

  let outcome: Outcome = 'succeeded';
  let reason: string | undefined;
  try {
    await pipeline.run(() => runPipeline(release));
  } catch (err) {
    if (!(err instanceof TemporalFailure)) throw err; // a bug in workflow code: fail the task, keep the release
    ({ outcome, reason } = explainEnd(release, err));
    await CancellationScope.nonCancellable(() => restoreEnvironments(release));
  }
  release.finish(outcome, reason);
  await condition(allHandlersFinished);

  const result: ReleaseResult = { outcome, reason, status: release.status };
  if (outcome === 'succeeded') return result;
  throw ApplicationFailure.create({
    type: FAILURE_TYPE[outcome],
    message: `${input.service} ${input.version} ${outcome}: ${reason}`,
    nonRetryable: true,
    details: [result],
  });
}

async function runPipeline(release: ReleaseState): Promise<void> {
  const { config, sourceDir, version } = release.input;
  const buildEnv = { GANTRY_SERVICE: release.input.service, GANTRY_VERSION: version, GANTRY_COMMIT: release.input.commit };

  release.enter('build');
  await commands.runCommand({ label: 'build', command: config.build, cwd: sourceDir, env: buildEnv, passEnv: config.passEnv });

  release.enter('test');
  for (const [label, command] of [
    ['unit tests', config.test.unit],
    ['integration tests', config.test.integration],
    ['lint', config.test.lint],
  ] as const) {
    if (command) await commands.runCommand({ label, command, cwd: sourceDir, env: buildEnv, passEnv: config.passEnv });
  }

  release.enter('artifact');
  const artifact: ArtifactRef = await delivery.publishArtifact({
    service: release.input.service,
    version,
    sourceDir,
    include: config.artifact.include,
  });
  release.status.artifact = artifact;

  release.enter('staging');
  await withEnvironmentTurn(release, 'staging', () => deployAllAtOnce(release, 'staging', artifact));

  await awaitApproval(release);

  release.enter('production', config.environments.production.strategy);
  const strategy = PRODUCTION_STRATEGIES[config.environments.production.strategy];
  await withEnvironmentTurn(release, 'production', () => strategy(release, artifact));
}

async function awaitApproval(release: ReleaseState): Promise<void> {
  const { approval } = release.input.config;
  if (approval.minApprovals === 0) {
    release.enter('approval', 'no approval required');
    return;
  }
  release.status.approvalDeadline = new Date(Date.now() + approval.timeout).toISOString();
  release.enter('approval');
  release.waitFor(approvalWaitText(release));
  const decided = await condition(
    () => approvalsSatisfied(approval, release.status.approvals) || release.status.rejection !== undefined,
    approval.timeout,
  );
  const rejection = release.status.rejection;
  if (rejection) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.rejected, message: `rejected by ${rejection.by}: ${rejection.reason}`, nonRetryable: true });
  }
  if (!decided) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPE.expired,
      message: `no decision within the approval timeout (${release.status.approvals.length} of ${approval.minApprovals} approvals by ${release.status.approvalDeadline})`,
      nonRetryable: true,
    });
  }
}

/** Turns whatever ended the pipeline into an outcome and a reason a person can act on. */
function explainEnd(release: ReleaseState, err: TemporalFailure): { outcome: Outcome; reason: string } {
  const abort = release.status.abort;
  if (abort && isCancellation(err)) return { outcome: 'aborted', reason: `aborted by ${abort.by}: ${abort.reason}` };
  if (err instanceof ApplicationFailure) {
    const outcome = outcomeFromFailureType(err.type);
    if (outcome) return { outcome, reason: err.message };
  }
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return { outcome: 'failed', reason: `${release.status.stage} failed: ${cause.message}` };
}

/** The CLI validates before starting; this guards against clients that did not. */
function assertUsableInput(input: ReleaseInput): void {
  const missing = (['service', 'version', 'commit', 'author', 'sourceDir'] as const).filter((k) => typeof input?.[k] !== 'string' || !input[k]);
  if (missing.length > 0 || !input.config?.environments || !input.config.approval) {
    throw ApplicationFailure.create({
      type: 'InvalidReleaseInput',
      message: `release input is incomplete (${[...missing, ...(input?.config ? [] : ['config'])].join(', ') || 'config'}); start releases with \`gantry release start\``,
      nonRetryable: true,
    });
  }
}
