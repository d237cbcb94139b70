import { ApplicationFailure, patched } from '@temporalio/workflow';
import { FAILURE_TYPE } from '../policy/outcome';
import { decideDowngrade } from '../policy/version-order';
import { control } from './activity-stubs';
import type { ReleaseState } from './release-state';

/**
 * An older version never replaces a newer one in an environment unless the release is an
 * explicit rollback (`--rollback --reason …`). Asked while the release holds its turn on
 * the environment, so no other release can deploy there between the check and the
 * deploy; the environment entity says what runs there. A refusal ends the release
 * `refused` with the reason; a rollback goes on and its reason is recorded.
 */
export async function assertNoDowngrade(release: ReleaseState, environment: string): Promise<void> {
  // Releases recorded before the guard existed (or before environments were entities) deployed unasked.
  if (!release.entities || !patched('no-downgrade')) return;
  const { service, version, rollback } = release.input;
  const record = await control.readEnvironment({ service, environment });
  const decision = decideDowngrade(version, environment, record?.current?.version, rollback !== undefined);
  if (decision.kind === 'refused') throw ApplicationFailure.create({ type: FAILURE_TYPE.refused, nonRetryable: true, message: decision.reason });
  if (decision.kind === 'rollback' && rollback) release.record({ kind: 'rollback_allowed', environment, replaces: decision.replaces, reason: rollback.reason });
}
