import { noticeOf, releaseOfWorkflow } from '../../src/policy/notification-events';
import type { DecisionEvent, Recorded } from '../../src/shared/decision-events';

const recorded = (event: DecisionEvent, workflowId = 'release/web/1.4.2'): Recorded => ({ ...event, seq: 7, at: '2026-12-04T15:00:00.000Z', workflowId }) as Recorded;

describe('which decisions notify, and what they say', () => {
  test('workflow IDs of a release and its rollout name the release', () => {
    expect(releaseOfWorkflow('release/web/1.4.2')).toEqual({ service: 'web', version: '1.4.2' });
    expect(releaseOfWorkflow('rollout/web/production/1.4.2')).toEqual({ service: 'web', environment: 'production', version: '1.4.2' });
    expect(releaseOfWorkflow('environment/web/staging')).toBeUndefined();
    expect(releaseOfWorkflow('change-calendar')).toBeUndefined();
  });

  test.each<[string, DecisionEvent, string | undefined, Record<string, unknown>]>([
    ['awaiting approval', { kind: 'approval_opened', deadline: '2026-12-05T15:00:00.000Z' }, undefined, { event: 'approval', text: 'web 1.4.2 is awaiting approval (until 2026-12-05T15:00:00.000Z)' }],
    [
      'its approval escalates',
      { kind: 'approval_escalated', to: ['group:sre'], deadline: '2026-12-05T17:00:00.000Z' },
      undefined,
      { event: 'approval', text: 'web 1.4.2 is still awaiting approval, escalated to group:sre (until 2026-12-05T17:00:00.000Z)' },
    ],
    [
      'a freeze holds it',
      { kind: 'change_held', environment: 'production', untilLocal: 'Mon 2026-12-07 06:00 Europe/Berlin', hold: 'freeze', reasons: ['production is frozen (black-friday)'] },
      undefined,
      { event: 'hold', hold: 'freeze', environment: 'production', until: 'Mon 2026-12-07 06:00 Europe/Berlin', text: 'web 1.4.2 is held before production (freeze) until Mon 2026-12-07 06:00 Europe/Berlin: production is frozen (black-friday)' },
    ],
    [
      'an emergency passes a gate',
      { kind: 'change_excepted', environment: 'production', exception: 'emergency', by: 'erin', reason: 'payments down', ticket: 'INC-1', passed: ['production is frozen'] },
      undefined,
      { event: 'emergency', by: 'erin', ticket: 'INC-1', text: 'web 1.4.2 entered production as an emergency (INC-1) approved by erin, passing: production is frozen; payments down' },
    ],
    [
      'a freeze holds its running canary',
      { kind: 'held', why: 'production is frozen (incident); the canary holds 10 % until then', changeGate: true },
      'rollout/web/production/1.4.2',
      { event: 'hold', environment: 'production', text: 'web 1.4.2 is held in production: production is frozen (incident); the canary holds 10 % until then' },
    ],
    ['its canary rolls back', { kind: 'rolling_back', reason: 'error rate 30 % > limit 1 %' }, 'rollout/web/production/1.4.2', { event: 'rollback', environment: 'production', releaseWorkflowId: 'release/web/1.4.2', text: 'web 1.4.2 is rolling back in production: error rate 30 % > limit 1 %' }],
    ['it succeeds', { kind: 'finished', outcome: 'succeeded' }, undefined, { event: 'succeeded', outcome: 'succeeded', text: 'web 1.4.2 succeeded' }],
    ['it ends rolled back', { kind: 'finished', outcome: 'rolled_back', reason: 'canary at 5 %' }, undefined, { event: 'rollback', outcome: 'rolled_back', text: 'web 1.4.2 rolled back: canary at 5 %' }],
    ['it expires', { kind: 'finished', outcome: 'expired', reason: 'no decision' }, undefined, { event: 'failed', outcome: 'expired', reason: 'no decision' }],
    ['it is rejected', { kind: 'finished', outcome: 'rejected', reason: 'rejected by bob' }, undefined, { event: 'failed', outcome: 'rejected' }],
  ])('%s', (_what, event, workflowId, expected) => {
    expect(noticeOf(recorded(event, workflowId))).toMatchObject({ service: 'web', version: '1.4.2', seq: 7, kind: event.kind, ...expected });
  });

  test.each<[string, DecisionEvent, string | undefined]>([
    ['a stage entered', { kind: 'stage_entered', stage: 'build' }, undefined],
    ['a person pausing its canary', { kind: 'held', why: 'watching the dashboards' }, 'rollout/web/production/1.4.2'],
    ['an override (not an emergency)', { kind: 'change_excepted', environment: 'production', exception: 'override', by: 'dana', reason: 'r', passed: [] }, undefined],
    ["a canary step passed by the release's emergency (the release already said so)", { kind: 'change_excepted', exception: 'emergency', by: 'erin', reason: 'r', weight: 10, passed: [] }, 'rollout/web/production/1.4.2'],
    ['an environment entity deploying', { kind: 'deployed', version: '1.4.2', digest: 'sha256:1', url: 'http://x', release: 'release/web/1.4.2' }, 'environment/web/production'],
    ['a notification failure (never notified about itself)', { kind: 'notification_failed', failure: { webhook: 0, origin: 'http://x', event: 'failed', kind: 'finished', seq: 1, attempts: 5, error: 'HTTP 500', at: '' } }, undefined],
  ])('%s does not notify', (_what, event, workflowId) => {
    expect(noticeOf(recorded(event, workflowId))).toBeUndefined();
  });
});
