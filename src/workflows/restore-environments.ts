import { log } from '@temporalio/workflow';
import { planRestore } from '../policy/environment-restore';
import { environmentActivities } from './release-hosts';
import type { ReleaseState } from './release-state';
import { withEnvironmentTurn } from './environment-turn';
import { reportToEnvironment } from './environment-record';

/**
 * Puts every environment this release touched back as it was (call it in a
 * non-cancellable scope), the last one first: the one nearest its users matters most.
 */
export async function restoreEnvironments(release: ReleaseState): Promise<void> {
  for (const environment of release.touchedLastFirst()) {
    const touch = release.touched[environment];
    await withEnvironmentTurn(release, environment, async () => {
      const { service } = release.input;
      const { config } = release;
      const { control, delivery } = await environmentActivities(release, environment);
      const current = (await control.activeInstance({ service, environment })) ?? undefined;
      for (const step of planRestore(touch.before, current, touch.oursId)) {
        if (step.kind === 'reactivate') {
          log.info('restoring the previous version', { environment, instance: step.instance.id });
          const restored = await delivery.startInstance({
            service,
            environment,
            artifact: step.instance.artifact,
            command: config.run.command,
            healthPath: config.run.health,
            startTimeoutMs: config.run.startTimeout,
          });
          await control.activateInstance({ service, environment, instanceId: restored.id });
          release.record({ kind: 'restored', environment, version: restored.artifact.version, digest: restored.artifact.digest, url: restored.url });
          await reportToEnvironment(release, environment, { kind: 'restored', version: restored.artifact.version, digest: restored.artifact.digest, url: restored.url });
        } else {
          await control.stopInstance({ service, environment, instanceId: step.instanceId });
          release.record({ kind: 'withdrawn', environment, instanceId: step.instanceId });
        }
      }
    });
  }
}
