import { ApplicationFailure, getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import { type DeployedReport, deployedSignal } from '../shared/environment';
import { FAILURE_TYPE } from '../policy/outcome';
import { type VerifiedEnvironment, verificationProblems } from '../policy/verification';
import { control } from './activity-stubs';
import { environmentActivities } from './release-hosts';
import type { ReleaseState } from './release-state';

/**
 * Tells the environment's entity what this release made active there. The entity is the
 * record of what runs where; a release that cannot reach it (terminated by hand) still
 * finishes its deploy, and the next release's request starts the entity again.
 */
export async function reportToEnvironment(release: ReleaseState, environment: string, report: Omit<DeployedReport, 'release'>): Promise<void> {
  const entityId = release.environmentIds[environment];
  if (!release.entities || !entityId) return;
  try {
    await getExternalWorkflowHandle(entityId).signal(deployedSignal, { ...report, release: workflowInfo().workflowId });
  } catch (err) {
    log.warn('could not record the deploy in the environment', { environment: entityId, error: String(err) });
  }
}

/**
 * Once approved, a release checks that every environment it verified still runs its
 * version: another release may have replaced it meanwhile (e.g. a newer version in
 * staging while this one waited for approval). Then the verification no longer holds,
 * and the release ends `failed` saying so, rather than ship what staging no longer runs.
 */
export async function assertVerificationHolds(release: ReleaseState): Promise<void> {
  if (!release.entities) return;
  const { service, version } = release.input;
  const found: VerifiedEnvironment[] = [];
  for (const environment of Object.keys(release.status.environments)) {
    const running = (await (await environmentActivities(release, environment)).control.activeInstance({ service, environment }))?.artifact.version;
    // The record only explains a replacement; what runs is the runtime's to say.
    const record = running === version ? null : await control.readEnvironment({ service, environment });
    found.push({ environment, running, record });
  }
  const problems = verificationProblems(version, found);
  if (problems.length > 0) {
    throw ApplicationFailure.create({ type: FAILURE_TYPE.failed, nonRetryable: true, message: problems.join('; ') });
  }
}
