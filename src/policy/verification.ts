import type { EnvironmentRecord } from '../shared/environment';

/**
 * Why a release's verification no longer holds: an environment it deployed to and
 * verified now runs something else. Pure.
 *
 * Example: 1.4.2 verified in staging, waited for approval; meanwhile 1.4.3 was deployed
 * there by release/web/1.4.3. The answer names both and says what to do.
 */
export function verificationProblems(version: string, found: { environment: string; record: EnvironmentRecord | null }[]): string[] {
  return found.flatMap(({ environment, record }) => {
    const current = record?.current;
    if (current?.version === version) return [];
    const now = current ? `${current.version} (deployed by ${current.release} at ${current.since})` : 'nothing Gantry recorded';
    return [`${environment} now runs ${now}: the verification of ${version} there no longer holds; release ${version} again (or the newer version) to ship it`];
  });
}
