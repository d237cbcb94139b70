import type { ChangePolicyConfig } from '../config/change-policy';
import type { ChangePolicy } from './change-window';

/**
 * Which change policy is in force where. It may be given for the whole catalogue, a
 * service and an environment; a field given lower down replaces the one above, except
 * freezes, which add up (a service cannot leave a company-wide freeze). Change
 * management is on for an environment as soon as any of the three gives a changePolicy.
 */

/** The catalogue's policy under the service's: what the admitted definition carries. */
export function mergeChangePolicies(above: ChangePolicyConfig | undefined, below: ChangePolicyConfig | undefined): ChangePolicyConfig | undefined {
  if (!above) return below;
  if (!below) return above;
  const freezes = [...(above.freezes ?? []), ...(below.freezes ?? [])];
  return { ...above, ...below, ...(freezes.length ? { freezes } : {}) };
}

const PRODUCTION = /^production(-|$)/;
/** Production environments (`production`, `production-eu`, …) do not deploy from Friday noon to Monday 06:00 unless told otherwise. */
export const DEFAULT_BLOCKED_WINDOW = { from: { weekday: 4, minute: 12 * 60 }, to: { weekday: 0, minute: 6 * 60 } };

/**
 * The change policy in force for one of a service's environments, with every default
 * filled in; undefined when no level gave one (change management is off there).
 */
export function effectiveChangePolicy(service: ChangePolicyConfig | undefined, environmentName: string, environment: ChangePolicyConfig | undefined): ChangePolicy | undefined {
  const merged = mergeChangePolicies(service, environment);
  if (!merged) return undefined;
  return {
    timeZone: merged.timeZone ?? 'UTC',
    blockedWindows: merged.blockedWindows ?? (PRODUCTION.test(environmentName) ? [DEFAULT_BLOCKED_WINDOW] : []),
    holidays: merged.holidays ?? [],
    freezes: (merged.freezes ?? []).map(({ lasts, ...freeze }) => ({ ...freeze, ...(lasts === undefined ? {} : { lastsMs: lasts }) })),
    risks: merged.risks ?? ['medium', 'high'],
    canaryMayFinish: merged.canaryMayFinish ?? true,
    whenBlocked: merged.whenBlocked ?? 'wait',
  };
}

/**
 * What still holds a canary that has started: freezes always; windows and holidays only
 * when the policy does not let a started canary finish its ramp.
 */
export function rampChangePolicy(policy: ChangePolicy): ChangePolicy {
  return policy.canaryMayFinish ? { ...policy, blockedWindows: [], holidays: [] } : policy;
}
