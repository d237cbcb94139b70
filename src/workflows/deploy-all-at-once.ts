import { CancellationScope } from '@temporalio/workflow';
import type { ArtifactRef } from '../shared/release';
import { instanceIdFor } from '../policy/environment-restore';
import { environmentActivities, workspaceActivities } from './release-hosts';
import type { ReleaseState } from './release-state';
import { reportToEnvironment } from './environment-record';

/**
 * Replaces what runs in an environment with the new artifact, all at once: start the new
 * version beside the old one, wait until it is healthy, smoke test it, switch, and only
 * then stop the old one. Any failure before the switch leaves the old version serving;
 * from the switch on, the deploy completes whatever arrives.
 */
export async function deployAllAtOnce(release: ReleaseState, environment: string, artifact: ArtifactRef): Promise<void> {
  const { service, version } = release.input;
  const { config, commandDir } = release;
  const oursId = instanceIdFor(version, artifact.digest);
  const { control, delivery } = await environmentActivities(release, environment);
  // The smoke test is in the release's checkout, on the host that holds it.
  const { commands } = workspaceActivities(release);
  const before = (await control.activeInstance({ service, environment })) ?? undefined;
  release.touch(environment, { before, oursId });

  release.waitFor(`${version} to become healthy in ${environment}`);
  const instance = await delivery.startInstance({
    service,
    environment,
    artifact,
    command: config.run.command,
    healthPath: config.run.health,
    startTimeoutMs: config.run.startTimeout,
  });
  if (config.smoke) {
    release.waitFor(`the smoke test against ${instance.url}`);
    await commands.runCommand({
      label: `smoke (${environment})`,
      command: config.smoke,
      cwd: commandDir,
      env: { BASE_URL: instance.url, GANTRY_VERSION: version, GANTRY_ENVIRONMENT: environment },
      passEnv: config.passEnv,
    });
  }
  // The switch is the commit point: once the new version is active, the old one is
  // retired to the end, so an abort cannot leave it half-stopped and switched back to.
  await CancellationScope.nonCancellable(async () => {
    await control.activateInstance({ service, environment, instanceId: instance.id });
    release.record({ kind: 'deployed', environment, version, digest: artifact.digest, url: instance.url });
    await reportToEnvironment(release, environment, { kind: 'deployed', version, digest: artifact.digest, url: instance.url });
    if (before && before.id !== instance.id) {
      await control.stopInstance({ service, environment, instanceId: before.id });
    }
  });
  release.waitFor(undefined);
}
