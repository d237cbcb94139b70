/**
 * The order a release goes through a service's environments, and where it waits for
 * approval. Pure: config validation, the workflow and tests all call it.
 *
 * Environments are promoted in the order the catalogue lists them. An environment may
 * say `gate: approval` (the release waits for its approvals before deploying there) or
 * `gate: none`. When none says anything, the approval gate is in front of the second
 * environment (staging → approval → production, as most teams run it), or in front of
 * the only one. One gate per service: approvals are counted once per release.
 */

export type Gate = 'approval' | 'none';

export interface PlannedEnvironment {
  name: string;
  /** Whether the release waits for its approvals before deploying here. */
  approvalFirst: boolean;
}

export function environmentPlan(environments: Record<string, { gate?: Gate }>): PlannedEnvironment[] {
  const names = Object.keys(environments);
  const explicit = names.some((name) => environments[name].gate !== undefined);
  const defaultGate = names.length === 1 ? names[0] : names[1];
  return names.map((name) => ({
    name,
    approvalFirst: explicit ? environments[name].gate === 'approval' : name === defaultGate,
  }));
}

/** Problems with the gates of a service's environments, for config validation. */
export function gateProblems(environments: Record<string, { gate?: Gate }>): { environment: string; message: string }[] {
  const gated = Object.entries(environments).filter(([, env]) => env.gate === 'approval');
  return gated.slice(1).map(([name]) => ({
    environment: name,
    message: `only one environment of a service may have gate: approval (${gated[0][0]} has it already); approvals are counted once per release`,
  }));
}
