import { type CalendarAction, type CalendarAuthority, checkCalendarRole } from '../../src/policy/calendar-authority';

const authority: CalendarAuthority = {
  catalogue: { roles: { processOwners: ['dana'], practitioners: ['group:sre'], emergencyApprovers: [], auditors: [] }, groups: { sre: ['sam'] } },
  services: {
    web: { roles: { processOwners: ['dana', 'wendy'], practitioners: ['group:sre', 'alice'], emergencyApprovers: [], auditors: [] }, groups: { sre: ['sam'] } },
    // Roles without practitioners: anyone may stop its changes; only its process owners undo others'.
    cart: { roles: { processOwners: ['dana'], emergencyApprovers: [], auditors: [] } },
  },
};
const noRoles: CalendarAuthority = { catalogue: {}, services: {} };

describe('checkCalendarRole: who may change the change calendar', () => {
  test.each<[string, CalendarAction, string, string[], string | undefined, CalendarAuthority, boolean]>([
    ['a practitioner of web freezes web', 'freeze_start', 'alice', ['web'], undefined, authority, true],
    ['a practitioner of web freezes every service', 'freeze_start', 'alice', [], undefined, authority, false],
    ['a practitioner of web freezes web and cart (cart declares no practitioners)', 'freeze_start', 'alice', ['web', 'cart'], undefined, authority, true],
    ['a company practitioner freezes every service', 'freeze_start', 'sam', [], undefined, authority, true],
    ['a process owner freezes web', 'freeze_start', 'dana', ['web'], undefined, authority, true],
    ['a stranger freezes web', 'freeze_start', 'mallory', ['web'], undefined, authority, false],
    ['anyone freezes cart, whose roles name no practitioners', 'freeze_start', 'mallory', ['cart'], undefined, authority, true],
    ['a service the catalogue does not know falls under its roles', 'freeze_start', 'alice', ['search'], undefined, authority, false],
    ['the declarer ends their freeze', 'freeze_end', 'alice', ['web'], 'alice', authority, true],
    ["web's process owner ends another's freeze of web", 'freeze_end', 'wendy', ['web'], 'alice', authority, true],
    ["web's process owner ends a freeze of every service", 'freeze_end', 'wendy', [], 'sam', authority, false],
    ['a company process owner ends a freeze of every service', 'freeze_end', 'dana', [], 'sam', authority, true],
    ["a practitioner ends another's freeze", 'freeze_end', 'sam', ['web'], 'alice', authority, false],
    ['a stranger ends a freeze of cart', 'freeze_end', 'mallory', ['cart'], 'dana', authority, false],
    ['a practitioner quarantines', 'quarantine', 'alice', ['web'], undefined, authority, true],
    ['a stranger quarantines', 'quarantine', 'mallory', ['web'], undefined, authority, false],
    ['its author lifts a quarantine', 'unquarantine', 'alice', ['web'], 'alice', authority, true],
    ["a practitioner lifts another's quarantine", 'unquarantine', 'sam', ['web'], 'alice', authority, false],
    ['without roles, anyone declares', 'freeze_start', 'mallory', [], undefined, noRoles, true],
    ['without roles, anyone ends', 'freeze_end', 'mallory', [], 'dana', noRoles, true],
    ['without roles, anyone lifts', 'unquarantine', 'mallory', ['web'], 'dana', noRoles, true],
  ])('%s', (_, action, who, services, declaredBy, roles, allowed) => {
    const verdict = checkCalendarRole(action, who, { services, what: 'do it', ...(declaredBy ? { declaredBy } : {}) }, roles);
    expect(verdict.ok).toBe(allowed);
    if (!verdict.ok) expect(verdict.reason).toMatch(new RegExp(`^${who} may not do it: not `));
  });

  test('nobody named is refused, whatever the roles', () => {
    expect(checkCalendarRole('freeze_start', ' ', { services: [], what: 'x' }, noRoles)).toEqual({ ok: false, reason: 'say who you are (by / --as)' });
  });

  test('the refusal names who holds the role, groups expanded', () => {
    expect(checkCalendarRole('freeze_end', 'sam', { services: ['web'], what: 'end freeze F1', declaredBy: 'alice' }, authority)).toEqual({
      ok: false,
      reason: 'sam may not end freeze F1: not its declarer (alice) or a process owner of web (process owners: dana, wendy)',
    });
    expect(checkCalendarRole('quarantine', 'mallory', { services: ['web'], what: 'quarantine web 1.0.0' }, authority)).toEqual({
      ok: false,
      reason: 'mallory may not quarantine web 1.0.0: not a practitioner or process owner of web (practitioners: sam, alice; process owners: dana, wendy)',
    });
  });
});
