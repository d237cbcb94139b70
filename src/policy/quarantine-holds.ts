import type { Quarantine } from '../shared/change-calendar';

/**
 * What the change decision reads of quarantines (see quarantine.ts for the calendar's
 * side): a version in quarantine enters no environment of its service until it is lifted.
 */

export const sameVersion = (q: Pick<Quarantine, 'service' | 'version'>, r: { service?: string; version?: string }): boolean => q.service === r.service && q.version === r.version;

/** What holds a release of `request`'s version, by the quarantines in force: one reason each (at most one, in practice). */
export function quarantineHolds(quarantines: Pick<Quarantine, 'service' | 'version' | 'by' | 'reason'>[], request: { service: string; version?: string }): string[] {
  if (request.version === undefined) return [];
  return quarantines
    .filter((q) => sameVersion(q, request))
    .map((q) => `${q.service} ${q.version} is quarantined by ${q.by} (${q.reason}) until it is lifted (gantry release unquarantine ${q.service} ${q.version})`);
}
