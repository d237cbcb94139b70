import { type Authority, type RoleAction, checkRole } from '../../src/policy/authority';

const groups = { 'web-team': ['alice', 'bob'] };
const withRoles: Authority = {
  service: 'web',
  groups,
  roles: { practitioners: ['group:web-team'], processOwners: ['dana'], emergencyApprovers: ['erin'], auditors: ['ivan'] },
};
const noPractitioners: Authority = { service: 'web', roles: { processOwners: ['dana'], emergencyApprovers: [], auditors: [] } };

const STEERING: RoleAction[] = ['start', 'abort', 'pause', 'resume', 'promote', 'rollback'];

describe('who may do what to a release (one table for every role and message)', () => {
  test.each(STEERING.flatMap((action) => [
    [action, 'bob', 'a practitioner (through a group)', true],
    [action, 'dana', 'a process owner', true],
    [action, 'erin', 'an emergency approver only', false],
    [action, 'ivan', 'an auditor', false],
    [action, 'mallory', 'nobody in the catalogue', false],
  ] as const))('%s by %s (%s) → %s', (action, who, _role, allowed) => {
    const verdict = checkRole(action, who, withRoles);
    if (allowed) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`^${who} may not .*web: not a practitioner or process owner \\(practitioners: alice, bob; process owners: dana\\)$`)) });
  });

  test.each([
    ['approve_emergency', 'erin', true],
    ['approve_emergency', 'dana', false],
    ['override', 'dana', true],
    ['override', 'bob', false],
    ['override', 'ivan', false],
  ] as const)('%s by %s → %s', (action, who, allowed) => {
    expect(checkRole(action, who, withRoles).ok).toBe(allowed);
  });

  test('without practitioners anywhere, anyone may start and steer; exceptions still need their role', () => {
    for (const action of STEERING) expect(checkRole(action, 'mallory', noPractitioners)).toEqual({ ok: true });
    expect(checkRole('override', 'mallory', noPractitioners)).toEqual({ ok: false, reason: 'mallory is not a process owner (process owners: dana)' });
    expect(checkRole('approve_emergency', 'dana', noPractitioners)).toEqual({ ok: false, reason: expect.stringMatching(/none; list them under roles.emergencyApprovers/) });
  });

  test('nobody is not anybody', () => {
    expect(checkRole('pause', ' ', noPractitioners)).toEqual({ ok: false, reason: 'say who you are (by / --as)' });
  });
});
