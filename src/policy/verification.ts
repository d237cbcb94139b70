import type { EnvironmentRecord } from '../shared/environment';

/** What a release found in an environment it verified: the version active there, and the entity's record. */
export interface VerifiedEnvironment {
  environment: string;
  /** The version the runtime has active there now, if any. */
  running?: string;
  /** The environment entity's record, when it has one (it says who deployed what runs). */
  record: EnvironmentRecord | null;
}

/**
 * Why a release's verification no longer holds: an environment it deployed to and
 * verified now runs something else. The runtime says what runs; the entity's record,
 * when it agrees, says which release put it there and when. Pure.
 *
 * Example: 1.4.2 verified in staging, waited for approval; meanwhile 1.4.3 was deployed
 * there by release/web/1.4.3. The answer names both and says what to do.
 */
export function verificationProblems(version: string, found: VerifiedEnvironment[]): string[] {
  return found.flatMap(({ environment, running, record }) => {
    if (running === version) return [];
    const current = record?.current?.version === running ? record?.current : undefined;
    const now = running ? `${running}${current ? ` (deployed by ${current.release} at ${current.since})` : ''}` : 'nothing';
    return [`${environment} now runs ${now}: the verification of ${version} there no longer holds; release ${version} again (or the newer version) to ship it`];
  });
}
