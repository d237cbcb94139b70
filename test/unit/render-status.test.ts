import { renderStatus } from '../../src/cli/render-status';
import type { ReleaseStatus } from '../../src/shared/release';
import type { RolloutStatus } from '../../src/shared/rollout';

const rollout: RolloutStatus = {
  strategy: 'canary',
  phase: 'promoting',
  revision: 12,
  committedAt: '2026-12-01T10:00:05.000Z',
  canaryVersion: '2.0.0',
  stableVersion: '1.0.0',
  weights: { stable: 0, canary: 100 },
  step: 1,
  steps: [{ weight: 5, soakMs: 240_000 }, { weight: 100 }],
  soak: { planned: 4, done: 4, extended: 'soak extended: the check due at 2026-12-01T09:58:00.000Z ran 190 s late (no worker was running); the step still gets every planned check' },
  analyses: [],
  decisions: [
    { kind: 'promote_full', by: 'lead', reason: 'ship it', at: '2026-12-01T10:00:04.000Z', requestId: 'promote-1', result: 'accepted' },
    { kind: 'rollback', by: 'oncall', reason: 'too late?', at: '2026-12-01T10:00:06.000Z', requestId: 'rollback-2', result: 'refused', refusal: 'the promotion of 2.0.0 was committed at 2026-12-01T10:00:05.000Z' },
  ],
};

const status: ReleaseStatus = {
  workflowId: 'release/web/2.0.0',
  service: 'web',
  version: '2.0.0',
  commit: '0123456789abcdef0123456789abcdef01234567',
  author: 'alice',
  stage: 'production',
  environments: {},
  approvals: [],
  approvalsRequired: 0,
  approvers: [],
  ignored: [{ message: 'abort', by: 'carol', reason: 'the promotion of 2.0.0 was committed at 2026-12-01T10:00:05.000Z', at: '2026-12-01T10:00:06.500Z' }],
  timeline: [],
  rollout,
};

test('the status shows the commit point, the soak, and every refusal with its reason', () => {
  const text = renderStatus(status);
  expect(text).toContain('    promotion committed at 2026-12-01T10:00:05.000Z');
  expect(text).toContain('    soak: 4 of 4 checks passed; soak extended: the check due at 2026-12-01T09:58:00.000Z ran 190 s late');
  expect(text).toContain('    rollback by oncall at 2026-12-01T10:00:06.000Z: too late? — refused: the promotion of 2.0.0 was committed at 2026-12-01T10:00:05.000Z');
  expect(text).toContain('    promote_full by lead at 2026-12-01T10:00:04.000Z: ship it\n');
  expect(text).toContain('  ignored abort by carol: the promotion of 2.0.0 was committed');
});

test('a rollout waiting for its metrics source says why', () => {
  const waiting = renderStatus({ ...status, ignored: [], rollout: { ...rollout, phase: 'waiting_for_metrics', committedAt: undefined, soak: undefined, decisions: [], waitingForMetrics: 'the embedded metrics source does not answer (connect ECONNREFUSED)' } });
  expect(waiting).toContain('    waiting for metrics: the embedded metrics source does not answer (connect ECONNREFUSED)');
  expect(waiting).not.toContain('promotion committed');
});

test('the status names the commit the platform resolved and the catalogue it enforced', () => {
  const text = renderStatus({
    ...status,
    rollout: undefined,
    source: { repository: 'https://git.example.com/web.git', directory: 'services/web', requested: 'v2.0.0', commit: status.commit, committedAt: '2026-11-30T12:00:00.000Z' },
    catalogue: { digest: `sha256:${'ab'.repeat(32)}`, source: 'https://git.example.com/platform.git#main:gantry.yaml', revision: 'fedcba9876543210fedcba9876543210fedcba98' },
  });
  expect(text).toContain(`  source https://git.example.com/web.git (services/web) at ${status.commit} (v2.0.0, committed 2026-11-30T12:00:00.000Z)`);
  expect(text).toContain(`  rules  catalogue sha256:${'ab'.repeat(32)} (commit fedcba9876543210fedcba9876543210fedcba98) from https://git.example.com/platform.git#main:gantry.yaml`);
});

test('an explicit rollback shows its reason and the newer versions it replaced', () => {
  const text = renderStatus({
    ...status,
    rollout: undefined,
    version: '1.4.1',
    rollback: { reason: '1.4.2 corrupts carts', replaced: [{ environment: 'staging', version: '1.4.2' }, { environment: 'production', version: '1.4.2' }] },
  });
  expect(text).toContain('  rollback 1.4.2 corrupts carts; replaced 1.4.2 in staging; replaced 1.4.2 in production');
});

test('undelivered notifications are listed with the webhook, the moment, the attempts and the last answer', () => {
  const text = renderStatus({
    ...status,
    notificationFailures: [{ webhook: 1, origin: 'https://hooks.example.com', event: 'approval', kind: 'approval_opened', seq: 14, attempts: 5, error: 'HTTP 500', at: '2026-12-01T10:01:00.000Z' }],
  });
  expect(text).toContain('  notification not delivered: approval (approval_opened #14) to webhook 1 at https://hooks.example.com, 5 attempts, gave up at 2026-12-01T10:01:00.000Z: HTTP 500');
});
