import { formatDuration } from '../shared/duration-text';
import { describeInstant } from './zoned-time';

/**
 * The soak precondition (`soakInPrevious`): a version must have run in the environment
 * before this one, in the release's order, for a set time before it may enter this one.
 * The clock starts when the release finished deploying there; approvals and other waits
 * in between count. Pure: the workflow waits on a durable timer until `untilMs`.
 *
 * Worked example: staging finished at 10:00, production says `soakInPrevious: 2h`; the
 * approval came at 10:30, so the release waits from 10:30 to 12:00, then goes on.
 */

export interface SoakRequest {
  version: string;
  environment: string;
  /** The environment before it, and when the release finished deploying there. */
  previous: { environment: string; deployedAtMs: number };
  soakMs: number;
}

export type SoakDecision = { kind: 'allowed' } | { kind: 'wait'; untilMs: number; until: string; reason: string };

export function decideSoak(request: SoakRequest, nowMs: number): SoakDecision {
  const { version, environment, previous, soakMs } = request;
  const untilMs = previous.deployedAtMs + soakMs;
  if (nowMs >= untilMs) return { kind: 'allowed' };
  const until = describeInstant(untilMs, 'UTC');
  return {
    kind: 'wait',
    untilMs,
    until,
    reason: `${version} must run in ${previous.environment} for ${formatDuration(soakMs)} before it enters ${environment} (soakInPrevious); it has run there since ${describeInstant(previous.deployedAtMs, 'UTC')}`,
  };
}

/** The environments whose `soakInPrevious` cannot hold, for config validation: the first has nothing before it. */
export function soakProblems(environments: Record<string, { soakInPrevious?: number }>): { environment: string; message: string }[] {
  const [first] = Object.keys(environments);
  if (first === undefined || environments[first].soakInPrevious === undefined) return [];
  return [
    {
      environment: first,
      message: `${first} is the first environment, so there is no previous one for a version to soak in; remove soakInPrevious here, or set it on a later environment`,
    },
  ];
}
