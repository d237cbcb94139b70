import type { Instance } from '../shared/release';

/**
 * What to do to an environment when a release is abandoned (aborted or failed), so it
 * is left as it was before the release touched it — but never undoing someone else's
 * deploy that happened since.
 *
 * - `before`: the instance that served the environment before this release touched it.
 * - `current`: the instance that serves it now.
 * - `oursId`: the instance this release starts there (its ID is derived from version
 *   and digest, so it is known even if the release was aborted while it started).
 *
 * Example: before = web 1.4.1, ours = web 1.4.2 and now active → restart 1.4.1 if it
 * was stopped, make it active, stop 1.4.2. If 1.4.3 became active meanwhile, only stop
 * 1.4.2 and leave 1.4.3 serving. If the release redeployed the very instance that
 * already served (same version and digest), nothing changes.
 */
export type RestoreStep = { kind: 'reactivate'; instance: Instance } | { kind: 'stop'; instanceId: string };

export function planRestore(before: Instance | undefined, current: Instance | undefined, oursId: string): RestoreStep[] {
  if (before?.id === oursId) return [];
  const steps: RestoreStep[] = [];
  if (current?.id === oursId && before) steps.push({ kind: 'reactivate', instance: before });
  steps.push({ kind: 'stop', instanceId: oursId });
  return steps;
}

/** Instance IDs are derived from version and digest: the same artifact is the same instance. */
export function instanceIdFor(version: string, digest: string): string {
  return `${version}-${digest.replace(/^sha256:/, '').slice(0, 12)}`;
}
