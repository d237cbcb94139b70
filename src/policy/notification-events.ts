import type { HoldKind } from './change-window';
import type { Recorded } from '../shared/decision-events';
import type { NotificationEvent } from '../shared/notifications';
import type { Outcome } from '../shared/release';

/**
 * Which recorded decisions are worth telling a service's webhooks, and what they say.
 * The webhooks' subscriptions name moments (`approval`, `hold`, …), not event kinds, so
 * the record can grow without a catalogue change:
 *
 * | moment      | recorded decision                                                   |
 * | ----------- | ------------------------------------------------------------------- |
 * | `approval`  | the release's `approval_opened` (it waits for approvers), and `approval_escalated` (more people may approve now) |
 * | `hold`      | the release's `change_held` (deploy window, holiday, freeze, soak, quarantine), and a rollout `held` by a change gate (its canary holds its weight) |
 * | `emergency` | the release's `change_excepted` by an approved emergency            |
 * | `rollback`  | a rollout's `rolling_back`, and a release `finished` `rolled_back`  |
 * | `succeeded` | a release `finished` `succeeded`                                   |
 * | `failed`    | a release `finished` any other way (failed, refused, aborted, expired, rejected) |
 *
 * A canary passing a held step by the same emergency is not told again: the release's
 * entry already said the emergency was used.
 */
export interface Notice {
  event: NotificationEvent;
  /** The decision's kind and its number and time in the record of the workflow that made it. */
  kind: string;
  seq: number;
  at: string;
  service: string;
  version: string;
  /** The release the moment belongs to (a rollout's moments belong to its release). */
  releaseWorkflowId: string;
  /** The workflow that recorded it (the release, or its rollout). */
  workflowId: string;
  environment?: string;
  outcome?: Outcome;
  hold?: HoldKind;
  /** Until when a hold lasts, as a person reads it in the policy's zone. */
  until?: string;
  reason?: string;
  /** Who made an exception, and its ticket. */
  by?: string;
  ticket?: string;
  /** One line a person reads, e.g. `web 1.4.2 is awaiting approval (until 2026-12-02T10:00:00.000Z)`. */
  text: string;
}

/** Which release (and environment) a workflow ID belongs to: `release/<service>/<version>` or `rollout/<service>/<environment>/<version>`. */
export function releaseOfWorkflow(workflowId: string): { service: string; version: string; environment?: string } | undefined {
  const parts = workflowId.split('/');
  if (parts[0] === 'release' && parts.length === 3) return { service: parts[1], version: parts[2] };
  if (parts[0] === 'rollout' && parts.length === 4) return { service: parts[1], environment: parts[2], version: parts[3] };
  return undefined;
}

/** The notice a recorded decision gives, or undefined when it is not one webhooks are told of. */
export function noticeOf(event: Recorded): Notice | undefined {
  const release = releaseOfWorkflow(event.workflowId);
  if (!release) return undefined;
  const { service, version } = release;
  const name = `${service} ${version}`;
  const base = { kind: event.kind, seq: event.seq, at: event.at, service, version, releaseWorkflowId: `release/${service}/${version}`, workflowId: event.workflowId };
  const fromRollout = release.environment !== undefined;

  switch (event.kind) {
    case 'approval_opened':
      if (fromRollout) return undefined;
      return { ...base, event: 'approval', text: `${name} is awaiting approval (until ${event.deadline})` };
    case 'approval_escalated':
      if (fromRollout) return undefined;
      return { ...base, event: 'approval', text: `${name} is still awaiting approval, escalated to ${event.to.join(', ')} (until ${event.deadline})` };
    case 'change_held':
      return {
        ...base,
        event: 'hold',
        environment: event.environment,
        hold: event.hold,
        until: event.untilLocal,
        reason: event.reasons[0],
        text: `${name} is held before ${event.environment} (${event.hold}) until ${event.untilLocal}: ${event.reasons[0] ?? 'held'}`,
      };
    case 'held':
      // A person's pause is theirs to announce; only a change gate holding a running canary is told.
      if (!fromRollout || !event.changeGate) return undefined;
      return { ...base, event: 'hold', environment: release.environment, ...(event.why ? { reason: event.why } : {}), text: `${name} is held in ${release.environment}: ${event.why ?? 'a change gate holds its canary'}` };
    case 'change_excepted':
      if (fromRollout || event.exception !== 'emergency' || !('environment' in event)) return undefined;
      return {
        ...base,
        event: 'emergency',
        environment: event.environment,
        by: event.by,
        reason: event.reason,
        ...(event.ticket ? { ticket: event.ticket } : {}),
        text: `${name} entered ${event.environment} as an emergency${event.ticket ? ` (${event.ticket})` : ''} approved by ${event.by}, passing: ${event.passed[0] ?? 'a change gate'}; ${event.reason}`,
      };
    case 'rolling_back':
      if (!fromRollout) return undefined;
      return { ...base, event: 'rollback', environment: release.environment, reason: event.reason, text: `${name} is rolling back in ${release.environment}: ${event.reason}` };
    case 'finished': {
      if (fromRollout) return undefined;
      const moment: NotificationEvent = event.outcome === 'succeeded' ? 'succeeded' : event.outcome === 'rolled_back' ? 'rollback' : 'failed';
      return { ...base, event: moment, outcome: event.outcome, ...(event.reason ? { reason: event.reason } : {}), text: `${name} ${event.outcome.replace('_', ' ')}${event.reason ? `: ${event.reason}` : ''}` };
    }
    default:
      return undefined;
  }
}
