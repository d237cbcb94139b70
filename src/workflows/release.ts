import {
  ApplicationFailure,
  ActivityFailure,
  CancellationScope,
  TemporalFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  workflowInfo,
} from '@temporalio/workflow';
import { approvalsSatisfied } from '../policy/approval';
import { FAILURE_TYPE, outcomeFromFailureType } from '../policy/outcome';
import type { BuildFacts, CommandRun } from '../shared/provenance-types';
import type { Admission, ArtifactRef, Outcome, ReleaseInput, ReleaseResult } from '../shared/release';
import { sourcing } from './activity-stubs';
import { pinWorkspace, workspaceActivities, workspaceRemoval } from './release-hosts';
import { withEnvironmentTurn } from './environment-turn';
import { approvalWaitText, registerReleaseMessages } from './release-messages';
import { ReleaseState } from './release-state';
import { registerRolloutSteering } from './release-steering';
import { registerChangeExceptions } from './release-exceptions';
import { registerNotificationReports } from './release-notifications';
import { restoreEnvironments } from './restore-environments';
import { DEPLOY_STRATEGIES } from './strategies';
import { environmentPlan } from '../policy/environment-plan';
import { assertVerificationHolds } from './environment-record';
import { awaitChangeWindow } from './change-window';
import { type PreviousDeploy, awaitSoakInPrevious } from './soak-precondition';
import { assertNoDowngrade } from './no-downgrade';
import { RISKS } from '../policy/change-window';
import { checkRole } from '../policy/authority';
import { checkEmergencyRequest } from '../policy/change-exceptions';
import { awaitAuditStored } from './audit-outbox';
import { migrateEnvironment, runSchemaRelease } from './schema-migrations';
import { approvalByAnalysis } from '../policy/approval-by-analysis';

/**
 * One release of one service version, from build to production:
 * admission → build → test → artifact → each environment in order (staging, approval,
 * production by default) → done.
 * An abandoned release (failed, rejected, expired, aborted) puts every environment it
 * touched back as it was and ends as a failed workflow whose type names the outcome.
 */
export async function releaseWorkflow(input: ReleaseInput): Promise<ReleaseResult> {
  assertUsableInput(input);
  const release = new ReleaseState(input);
  const pipeline = new CancellationScope();
  registerReleaseMessages(release, pipeline);
  registerRolloutSteering(release);
  registerChangeExceptions(release);
  registerNotificationReports(release);

  // Releases started before the platform held the catalogue brought their own definition
  // and source folder; their histories replay on that path.
  const admittedByPlatform = patched('platform-admission');
  // Since environments are entities, a release takes its turns on them and tells them what it deployed.
  release.entities = patched('environment-entities');
  // Since several workers may serve a queue, machine-local work goes to the host that owns it.
  release.hosts.pinned = patched('worker-hosts');
  if (!admittedByPlatform) release.useStartersDefinition();

  let outcome: Outcome = 'succeeded';
  let reason: string | undefined;
  try {
    await pipeline.run(async () => {
      if (admittedByPlatform) await admitAndCheckOut(release);
      // Only a service with migrations has a classified change; older histories never do.
      if (release.status.change?.kind === 'schema') await runSchemaRelease(release, { awaitApproval, beforeEnvironment: enterEnvironment, withTurn: withEnvironmentTurn });
      else await runPipeline(release);
    });
  } catch (err) {
    if (!(err instanceof TemporalFailure)) throw err; // a bug in workflow code: fail the task, keep the release
    ({ outcome, reason } = explainEnd(release, err));
    await CancellationScope.nonCancellable(() => restoreEnvironments(release));
  }
  await CancellationScope.nonCancellable(() => removeWorkspace(release));
  release.finish(outcome, reason);
  await condition(allHandlersFinished);
  // The release ends only once its whole record is in the audit store.
  await CancellationScope.nonCancellable(() => auditStored(release));

  const result: ReleaseResult = { outcome, reason, status: release.status };
  if (outcome === 'succeeded') return result;
  throw ApplicationFailure.create({
    type: FAILURE_TYPE[outcome],
    message: `${input.service} ${input.version} ${outcome}: ${reason}`,
    nonRetryable: true,
    details: [result],
  });
}

/**
 * Admission: the worker's catalogue must know the service and the commit must resolve in
 * its repository; anything else refuses the release before anything is built. Then the
 * release gets a clean checkout of that commit of its own.
 */
async function admitAndCheckOut(release: ReleaseState): Promise<void> {
  const { service, version, commit, author } = release.input;
  release.enter('admission');
  release.waitFor(`the platform to admit it (its catalogue, the commit ${commit} in the service's repository)`);
  let admission: Admission;
  try {
    admission = await sourcing.admitRelease({ service, version, commit, author });
  } catch (err) {
    if (isCancellation(err)) throw err;
    const cause = err instanceof ActivityFailure && err.cause ? err.cause : (err as Error);
    throw ApplicationFailure.create({ type: FAILURE_TYPE.refused, message: `refused: ${cause.message}`, nonRetryable: true });
  }
  release.admit(admission);
  if (admission.change) release.record({ kind: 'change_classified', change: admission.change });
  const starter = checkRole('start', release.input.startedBy ?? author, release.authority());
  if (!starter.ok) throw ApplicationFailure.create({ type: FAILURE_TYPE.refused, message: `refused: ${starter.reason}`, nonRetryable: true });
  const { source } = admission;
  release.enter('build', admission.change?.kind === 'schema' ? 'a checkout for the migrations: a schema release builds no code' : undefined);
  release.waitFor(`a checkout of ${source.commit.slice(0, 12)} from ${source.repository}`);
  const { workflowId, runId } = workflowInfo();
  // Known before the activity runs, so a release cancelled while checking out still removes it.
  release.workspaceRoot = `${workflowId}/${runId}`;
  const workspace = await sourcing.prepareWorkspace({ workspace: release.workspaceRoot, source });
  release.workDir = workspace.dir;
  // The host that checked out builds, tests and packs: the checkout is on its disk.
  pinWorkspace(release, workspace);
}

async function removeWorkspace(release: ReleaseState): Promise<void> {
  if (!release.workspaceRoot) return;
  try {
    await workspaceRemoval(release).sourcing.removeWorkspace({ workspace: release.workspaceRoot });
  } catch (err) {
    // A leftover folder costs disk, not correctness: the release's outcome stands.
    log.warn('could not remove the release workspace', { workspace: release.workspaceRoot, error: (err as Error).message });
  }
}

/** The commands the build and test stages run, in order, as the provenance records them. */
function buildCommands(release: ReleaseState): CommandRun[] {
  const { config } = release;
  const runs: CommandRun[] = [{ label: 'build', command: config.build }];
  for (const [label, command] of [
    ['unit tests', config.test.unit],
    ['integration tests', config.test.integration],
    ['lint', config.test.lint],
  ] as const) {
    if (command) runs.push({ label, command });
  }
  return runs;
}

async function runPipeline(release: ReleaseState): Promise<void> {
  const { config, commandDir } = release;
  const { service, version } = release.input;
  const commit = release.status.source?.commit ?? release.input.commit;
  const buildEnv = { GANTRY_SERVICE: service, GANTRY_VERSION: version, GANTRY_COMMIT: commit };
  const [build, ...tests] = buildCommands(release);
  const { commands, delivery } = workspaceActivities(release);

  if (release.status.stage !== 'build') release.enter('build');
  const buildStartedAt = release.status.timeline[release.status.timeline.length - 1].startedAt;
  await commands.runCommand({ ...build, cwd: commandDir, env: buildEnv, passEnv: config.passEnv });

  release.enter('test');
  for (const test of tests) {
    await commands.runCommand({ ...test, cwd: commandDir, env: buildEnv, passEnv: config.passEnv });
  }

  release.enter('artifact');
  const artifact: ArtifactRef = await delivery.publishArtifact({ service, version, sourceDir: commandDir, include: config.artifact.include });
  release.record({ kind: 'artifact_published', artifact });
  if (release.status.source && release.status.catalogue) {
    const facts: BuildFacts = {
      service,
      version,
      author: release.input.author,
      source: release.status.source,
      catalogue: release.status.catalogue,
      commands: [build, ...tests],
      invocation: { workflowId: workflowInfo().workflowId, runId: workflowInfo().runId, namespace: workflowInfo().namespace },
      startedOn: buildStartedAt,
      finishedOn: release.now(),
    };
    release.record({ kind: 'provenance_recorded', statement: await delivery.recordProvenance({ artifact, facts }) });
  }

  // Environments in the catalogue's order; the first failure stops the release there.
  let previous: PreviousDeploy | undefined;
  for (const { name, approvalFirst } of environmentPlan(config.environments)) {
    if (approvalFirst) {
      await awaitApproval(release, previous && { environment: previous.environment, progressive: config.environments[previous.environment]?.strategy !== 'allAtOnce' });
      await assertVerificationHolds(release);
    }
    const { strategy } = config.environments[name];
    await awaitSoakInPrevious(release, name, previous);
    await enterEnvironment(release, name);
    release.enter(name, strategy === 'allAtOnce' ? undefined : strategy);
    await withEnvironmentTurn(release, name, async () => {
      await assertNoDowngrade(release, name);
      // A first release that carries migrations applies them before its code (nothing older reads the schema); no-op otherwise.
      await migrateEnvironment(release, name);
      return DEPLOY_STRATEGIES[strategy](release, name, artifact);
    });
    previous = { environment: name, deployedAtMs: Date.now() };
  }
}

/** Before a release enters an environment: the change window lets it in, and what led here (approvals included) is stored first. */
async function enterEnvironment(release: ReleaseState, environment: string): Promise<void> {
  await awaitChangeWindow(release, environment);
  await auditStored(release);
}

/** Waits for the audit store to hold every decision so far; the status says so while it refuses them. */
function auditStored(release: ReleaseState): Promise<void> {
  return awaitAuditStored(release.decisions.outbox, (what) => release.waitFor(what));
}

/**
 * The approval gate. `after` is the environment the release just went through: with the
 * policy's `byAnalysis`, the judge's verdicts on its rollout may approve instead of people.
 */
async function awaitApproval(release: ReleaseState, after?: { environment: string; progressive: boolean }): Promise<void> {
  const approval = release.approvalPolicy();
  if (approval.minApprovals === 0) {
    release.enter('approval', 'no approval required');
    return;
  }
  let peopleDecide: string | undefined;
  if (approval.byAnalysis) {
    // Only policies written with byAnalysis reach this, so no recorded history takes this path.
    const judged = after ? approvalByAnalysis(after.progressive ? release.status.rollout : undefined, after.environment) : undefined;
    if (judged?.approved) {
      release.record({ kind: 'approved_by_analysis', environment: after!.environment, reason: judged.reason });
      release.enter('approval', `approved by the analysis: ${judged.reason}`);
      return;
    }
    peopleDecide = `people approve: ${judged ? judged.why : 'no environment before this gate to judge the release by'}`;
  }
  release.record({ kind: 'approval_opened', deadline: new Date(Date.now() + approval.timeout).toISOString() });
  release.enter('approval', peopleDecide);
  release.waitFor(approvalWaitText(release));
  const decision = () => approvalsSatisfied(release.approvalPolicy(), release.status.approvals) || release.status.rejection !== undefined;
  let decided = await condition(decision, approval.timeout);
  const { onTimeout } = approval;
  if (!decided && onTimeout !== 'expire') {
    // The first deadline passed: more people may approve, until a second one.
    release.record({ kind: 'approval_escalated', to: onTimeout.escalateTo, deadline: new Date(Date.now() + onTimeout.timeout).toISOString() });
    release.waitFor(approvalWaitText(release));
    decided = await condition(decision, onTimeout.timeout);
  }
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
  const problems: string[] = (['service', 'version', 'commit', 'author'] as const).filter((k) => typeof input?.[k] !== 'string' || !input[k]);
  if (input?.risk !== undefined && !(RISKS as readonly string[]).includes(input.risk)) problems.push(`risk "${String(input.risk)}" (use ${RISKS.join(', ')})`);
  if (input?.emergency !== undefined) problems.push(...checkEmergencyRequest(input.emergency ?? {}).map((p) => `emergency.${p.field}: ${p.message}`));
  if (input?.rollback !== undefined && !rollbackReasonGiven(input.rollback)) problems.push('rollback without a reason (say why the older version goes back)');
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidReleaseInput',
      message: `release input is incomplete or wrong (${problems.join(', ')}); start releases with \`gantry release start\``,
      nonRetryable: true,
    });
  }
}

function rollbackReasonGiven(rollback: unknown): boolean {
  const reason = (rollback as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' && reason.trim() !== '';
}
