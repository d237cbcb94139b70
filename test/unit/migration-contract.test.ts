import { type ContractEnvironment, checkContractStep, contractApprovalsRequired, formatWindow, runningAtLeastSince } from '../../src/policy/migration-contract';
import { MigrationsSchema } from '../../src/config/migrations-settings';
import { applyReleaseEvent, releaseDetails } from '../../src/policy/release-projection';
import { changeLine } from '../../src/policy/schema-release';
import type { ReleaseStatus } from '../../src/shared/release';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);

/** An environment running `version` since `since`, after the deploys listed (oldest first). */
function env(name: string, version: string, since: string, before: [string, string][] = []): ContractEnvironment {
  return {
    name,
    record: {
      current: { version, sinceMs: at(since) },
      ...(before.length > 0 ? { previous: { version: before[before.length - 1][0] } } : {}),
      history: [...before.map(([v, a]) => ({ version: v, atMs: at(a) })), { version, atMs: at(since) }],
    },
  };
}

const base = { service: 'shop', file: '0004_drop_note.sql', marker: { after: '1.4.0' }, rollbackWindowMs: 24 * HOUR };

describe('a contract step is admitted once its version runs everywhere past the rollback window', () => {
  const staging = env('staging', '1.4.0', '2026-12-01T10:02:00Z', [['1.3.0', '2026-11-20T09:00:00Z']]);
  const production = env('production', '1.4.0', '2026-12-01T16:00:00Z', [['1.3.0', '2026-11-21T09:00:00Z']]);

  test('the rollback window not passed: refused with the time it closes', () => {
    const decision = checkContractStep({ ...base, environments: [staging, production], nowMs: at('2026-12-02T12:00:00Z') });
    expect(decision.admitted).toBe(false);
    if (decision.admitted) return;
    expect(decision.reason).toContain('0004_drop_note.sql (`-- gantry:contract after=1.4.0`)');
    expect(decision.reason).toContain('since 2026-12-01T16:00:00.000Z (last: production)');
    expect(decision.reason).toContain('the rollback window (24h, migrations.rollbackWindow) of 1.4.0 closes at 2026-12-02T16:00:00.000Z');
  });

  test('the window passed: admitted, with when it ran everywhere and when the window closed', () => {
    expect(checkContractStep({ ...base, environments: [staging, production], nowMs: at('2026-12-02T16:00:00Z') })).toEqual({
      admitted: true,
      step: { file: '0004_drop_note.sql', after: '1.4.0', everywhereSince: '2026-12-01T16:00:00.000Z', windowClosedAt: '2026-12-02T16:00:00.000Z' },
    });
  });

  test('the version not in every environment: refused, naming where it runs and where not', () => {
    const old = env('production', '1.3.0', '2026-11-21T09:00:00Z');
    const decision = checkContractStep({ ...base, environments: [staging, old], nowMs: at('2026-12-10T00:00:00Z') });
    expect(decision).toEqual({
      admitted: false,
      reason: expect.stringContaining('1.4.0 runs in staging since 2026-12-01T10:02:00.000Z but not in production (it runs 1.3.0); release 1.4.0 (or later) to production'),
    });
  });

  test('an environment where nothing runs is missing too', () => {
    const decision = checkContractStep({ ...base, environments: [staging, { name: 'production' }], nowMs: at('2026-12-10T00:00:00Z') });
    expect(decision).toMatchObject({ admitted: false, reason: expect.stringContaining('but not in production (it runs nothing)') });
  });

  test('a later version everywhere counts, from when 1.4.0 or later first ran without a break', () => {
    // Production went 1.3.0 → 1.4.0 → 1.5.0: it has run 1.4.0 or later since 1.4.0 came.
    const later = env('production', '1.5.0', '2026-12-03T08:00:00Z', [
      ['1.3.0', '2026-11-21T09:00:00Z'],
      ['1.4.0', '2026-12-01T16:00:00Z'],
    ]);
    expect(runningAtLeastSince(later.record, '1.4.0')).toBe(at('2026-12-01T16:00:00Z'));
    const decision = checkContractStep({ ...base, environments: [staging, later], nowMs: at('2026-12-03T09:00:00Z') });
    expect(decision).toMatchObject({ admitted: true, step: { everywhereSince: '2026-12-01T16:00:00.000Z' } });
  });

  test('a restore of an older version in between restarts the clock', () => {
    const restored = env('production', '1.4.0', '2026-12-02T20:00:00Z', [
      ['1.4.0', '2026-12-01T16:00:00Z'],
      ['1.3.0', '2026-12-02T11:00:00Z'],
    ]);
    expect(runningAtLeastSince(restored.record, '1.4.0')).toBe(at('2026-12-02T20:00:00Z'));
    const decision = checkContractStep({ ...base, environments: [staging, restored], nowMs: at('2026-12-03T09:00:00Z') });
    expect(decision).toMatchObject({ admitted: false, reason: expect.stringContaining('closes at 2026-12-03T20:00:00.000Z') });
  });

  test('a marker that names a version no environment ever ran and no release built is refused as unknown', () => {
    const running = [env('staging', '1.3.0', '2026-11-20T09:00:00Z'), env('production', '1.3.0', '2026-11-21T09:00:00Z')];
    const decision = checkContractStep({ ...base, marker: { after: '14.0.0' }, environments: running, nowMs: at('2026-12-10T00:00:00Z'), released: false });
    expect(decision).toMatchObject({
      admitted: false,
      reason: expect.stringContaining('names 14.0.0, a version of shop no environment ever ran and no release built (staging runs 1.3.0, production runs 1.3.0)'),
    });
  });

  test('a version built but not deployed anywhere yet is known: the refusal says where to release it', () => {
    const running = [env('staging', '1.3.0', '2026-11-20T09:00:00Z'), env('production', '1.3.0', '2026-11-21T09:00:00Z')];
    const decision = checkContractStep({ ...base, environments: running, nowMs: at('2026-12-10T00:00:00Z'), released: true });
    expect(decision).toMatchObject({ admitted: false, reason: expect.stringContaining('1.4.0 runs in no environment yet (staging runs 1.3.0, production runs 1.3.0); release 1.4.0 (or later) to staging, production') });
  });

  test('one more approval than the policy asks for; the window reads as it was written', () => {
    expect(contractApprovalsRequired(0)).toBe(1);
    expect(contractApprovalsRequired(2)).toBe(3);
    expect(formatWindow(24 * HOUR)).toBe('24h');
    expect(formatWindow(7 * 24 * HOUR)).toBe('7d');
    expect(formatWindow(5000)).toBe('5s');
    expect(formatWindow(1500)).toBe('1500ms');
  });
});

describe('migrations.rollbackWindow', () => {
  test('defaults to 24h and takes a duration', () => {
    expect(MigrationsSchema.parse({ directory: 'migrations' }).rollbackWindow).toBe(24 * HOUR);
    expect(MigrationsSchema.parse({ directory: 'migrations', rollbackWindow: '5s' }).rollbackWindow).toBe(5000);
  });

  test('refuses what is not a positive duration, naming an example', () => {
    const result = MigrationsSchema.safeParse({ directory: 'migrations', rollbackWindow: 'a day' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('e.g. 24h');
  });
});

test('the change line names an admitted contract step', () => {
  const line = changeLine({
    kind: 'schema',
    base: { commit: 'a'.repeat(40), version: '1.4.0' },
    folder: 'migrations',
    migrations: ['0004_drop_note.sql'],
    otherFiles: 0,
    databases: {},
    lockTimeoutMs: 5000,
    statementTimeoutMs: 60000,
    contract: [{ file: '0004_drop_note.sql', after: '1.4.0', everywhereSince: '2026-12-01T16:00:00.000Z', windowClosedAt: '2026-12-02T16:00:00.000Z' }],
  });
  expect(line).toContain('contract step 0004_drop_note.sql (after 1.4.0, window closed 2026-12-02T16:00:00.000Z)');
});

test("the contract step's approval is in the release's record and its status", () => {
  const status: ReleaseStatus = {
    workflowId: 'release/shop/1.5.0',
    service: 'shop',
    version: '1.5.0',
    commit: 'c3',
    author: 'alice',
    stage: 'approval',
    environments: {},
    approvals: [],
    approvalsRequired: 1,
    approvers: ['bob', 'carol'],
    ignored: [],
    timeline: [],
  };
  const recorded = { workflowId: 'release/shop/1.5.0', at: '2026-12-02T16:01:00.000Z' };
  applyReleaseEvent(status, { ...recorded, seq: 7, kind: 'contract_approval_opened', migrations: ['0004_drop_note.sql'], required: 2, deadline: '2026-12-02T17:01:00.000Z' });
  expect(status).toMatchObject({ approvalsRequired: 2, approvalDeadline: '2026-12-02T17:01:00.000Z', contractApproval: { migrations: ['0004_drop_note.sql'], required: 2 } });
  applyReleaseEvent(status, { ...recorded, seq: 9, kind: 'contract_approved', by: ['bob', 'carol'] });
  expect(status.contractApproval).toEqual({ migrations: ['0004_drop_note.sql'], required: 2, approvedBy: ['bob', 'carol'], at: recorded.at });
  expect(releaseDetails(status)).toContain('Contract step 0004_drop_note.sql: 2 approvals required, approved by bob, carol');
});
