import type { AuditAppend } from '../../src/providers/audit/audit-store';
import type { ServiceConfig } from '../../src/config/service-catalogue';
import type { Recorded } from '../../src/shared/decision-events';

/**
 * A quarter of releases, written as the workflows record them, with figures worked out
 * by hand in the tests that use it (all times UTC, 2026Q4 is 92 days):
 *
 * - web 0.9.0 shipped 2026-09-28: before the quarter, not counted.
 * - web 1.0.0 committed 10-01 08:00, production done 10-01 10:30: lead time 2h30m.
 * - web 1.1.0 committed 10-30 20:00, production done 11-02 01:00 (crosses the month; counts in November): 2d5h.
 * - web 1.2.0 enters production 11-10 10:00, its canary rolled back at 10:20: a failure, recovered in 20m.
 * - web 1.2.1, the fix, committed 11-10 11:00, done 12:00: 1h. bob approved; mallory's approval was refused.
 * - cart 2.0.0 committed 11-14 09:00, done 11-15 09:00 (24h), with an override past a freeze;
 *   cart 1.9.0 rolls back over it (committed 11-01 00:00, done 11-16 08:30: 15d8h30m), so cart 2.0.0
 *   failed, recovered in 23h30m.
 * - carol's freeze refused on the calendar (11-20).
 */
const definition = (approval: Partial<ServiceConfig['approval']> = {}) =>
  ({ environments: { staging: {}, production: {} }, approval: { approvers: ['bob', 'dana'], minApprovals: 1, requiredGroups: [], ...approval } }) as unknown as ServiceConfig;

function releaseRun(service: string, version: string, runId: string, committedAt: string, steps: [string, Record<string, unknown> | string][]): AuditAppend[] {
  const workflowId = `release/${service}/${version}`;
  let seq = 0;
  const admitted = { kind: 'admitted', definition: definition(), catalogue: { digest: 'sha256:0', source: 'gantry.yaml' }, source: { repository: 'r', directory: '.', requested: 'main', commit: 'c'.repeat(40), committedAt } };
  return steps.map(([at, event]) => {
    const body: Record<string, unknown> = typeof event === 'string' ? (event === 'admitted' ? admitted : { kind: 'stage_entered', stage: event }) : event;
    const { rollout, ...rest } = body;
    const isRollout = rollout === true;
    const own = isRollout ? `rollout/${service}/production/${version}` : workflowId;
    return {
      event: { ...rest, seq: isRollout ? 1 : (seq += 1), at, workflowId: own } as unknown as Recorded,
      origin: { namespace: 'default', workflowType: isRollout ? 'canaryRolloutWorkflow' : 'releaseWorkflow', runId: isRollout ? `${runId}-rollout` : runId },
    };
  });
}

const deployed = (environment: string, version: string) => ({ kind: 'deployed', environment, version, digest: 'sha256:1', url: 'http://x' });
const finished = (outcome: string, reason?: string) => ({ kind: 'finished', outcome, ...(reason ? { reason } : {}) });

export function quarterOfReleases(): AuditAppend[] {
  return [
    ...releaseRun('web', '0.9.0', 'r09', '2026-09-27T08:00:00.000Z', [
      ['2026-09-28T09:00:00.000Z', 'admitted'],
      ['2026-09-28T10:00:00.000Z', 'production'],
      ['2026-09-28T10:30:00.000Z', deployed('production', '0.9.0')],
      ['2026-09-28T10:31:00.000Z', finished('succeeded')],
    ]),
    ...releaseRun('web', '1.0.0', 'r10', '2026-10-01T08:00:00.000Z', [
      ['2026-10-01T09:00:00.000Z', 'admitted'],
      ['2026-10-01T09:30:00.000Z', { kind: 'message', message: 'approve', by: 'bob', via: 'update', result: 'accepted' }],
      ['2026-10-01T10:00:00.000Z', 'production'],
      ['2026-10-01T10:30:00.000Z', deployed('production', '1.0.0')],
      ['2026-10-01T10:31:00.000Z', finished('succeeded')],
    ]),
    ...releaseRun('web', '1.1.0', 'r11', '2026-10-30T20:00:00.000Z', [
      ['2026-10-31T22:00:00.000Z', 'admitted'],
      ['2026-10-31T23:00:00.000Z', { kind: 'message', message: 'approve', by: 'dana', via: 'update', result: 'accepted' }],
      ['2026-11-02T00:30:00.000Z', 'production'],
      ['2026-11-02T01:00:00.000Z', deployed('production', '1.1.0')],
      ['2026-11-02T01:01:00.000Z', finished('succeeded')],
    ]),
    ...releaseRun('web', '1.2.0', 'r12', '2026-11-10T08:00:00.000Z', [
      ['2026-11-10T09:00:00.000Z', 'admitted'],
      ['2026-11-10T09:30:00.000Z', { kind: 'message', message: 'approve', by: 'bob', via: 'update', result: 'accepted' }],
      ['2026-11-10T10:00:00.000Z', 'production'],
      ['2026-11-10T10:19:00.000Z', { rollout: true, kind: 'rolled_back', reason: 'error rate 12 % > limit 1 %' }],
      ['2026-11-10T10:20:00.000Z', finished('rolled_back', 'the canary was rolled back: error rate 12 % > limit 1 %')],
    ]),
    ...releaseRun('web', '1.2.1', 'r121', '2026-11-10T11:00:00.000Z', [
      ['2026-11-10T11:10:00.000Z', 'admitted'],
      ['2026-11-10T11:20:00.000Z', { kind: 'message', message: 'approve', by: 'mallory', via: 'update', result: 'refused', refusal: 'mallory is not an approver of web' }],
      ['2026-11-10T11:30:00.000Z', { kind: 'message', message: 'approve', by: 'bob', via: 'update', result: 'accepted' }],
      ['2026-11-10T11:40:00.000Z', 'production'],
      ['2026-11-10T12:00:00.000Z', deployed('production', '1.2.1')],
      ['2026-11-10T12:01:00.000Z', finished('succeeded')],
    ]),
    ...releaseRun('cart', '2.0.0', 'c20', '2026-11-14T09:00:00.000Z', [
      ['2026-11-14T10:00:00.000Z', 'admitted'],
      ['2026-11-15T08:00:00.000Z', { kind: 'message', message: 'approve', by: 'dana', via: 'update', result: 'accepted' }],
      ['2026-11-15T08:10:00.000Z', { kind: 'change_excepted', exception: 'override', by: 'dana', reason: 'the fix for the checkout outage', environment: 'production', passed: ['change freeze F3 declared by carol (Black Friday)'] }],
      ['2026-11-15T08:20:00.000Z', 'production'],
      ['2026-11-15T09:00:00.000Z', deployed('production', '2.0.0')],
      ['2026-11-15T09:01:00.000Z', finished('succeeded')],
    ]),
    ...releaseRun('cart', '1.9.0', 'c19', '2026-11-01T00:00:00.000Z', [
      ['2026-11-16T07:00:00.000Z', 'admitted'],
      ['2026-11-16T07:10:00.000Z', { kind: 'rollback_allowed', environment: 'production', replaces: '2.0.0', reason: '2.0.0 double-charges' }],
      ['2026-11-16T07:30:00.000Z', { kind: 'message', message: 'approve', by: 'bob', via: 'update', result: 'accepted' }],
      ['2026-11-16T08:00:00.000Z', 'production'],
      ['2026-11-16T08:30:00.000Z', deployed('production', '1.9.0')],
      ['2026-11-16T08:31:00.000Z', finished('succeeded')],
    ]),
    {
      event: { kind: 'freeze_refused', command: 'start', by: 'carol', reason: 'hunch', refusal: 'carol may not declare a freeze of every service', seq: 3, at: '2026-11-20T10:00:00.000Z', workflowId: 'change-calendar@q' } as Recorded,
      origin: { namespace: 'default', workflowType: 'changeCalendarWorkflow', runId: 'cal' },
    },
  ];
}
