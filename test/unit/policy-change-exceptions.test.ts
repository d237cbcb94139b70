import { checkEmergencyApproval, checkEmergencyRequest, checkOverride, type ExceptionContext } from '../../src/policy/change-exceptions';
import { mergeRoles } from '../../src/policy/authority';

const roles = { processOwners: ['dana'], emergencyApprovers: ['alice', 'erin'], auditors: [] };
const held: ExceptionContext = { authority: { service: 'web', roles }, author: 'alice', finished: false, emergency: {}, heldBy: 'change freeze F1 declared by carol (Black Friday) until it is ended' };
const refused = (pattern: RegExp) => ({ ok: false, reason: expect.stringMatching(pattern) });

describe('who may make an exception to change management', () => {
  test.each([
    ['an emergency approver who is not the author, with a reason', held, 'erin', 'payments down', { ok: true }],
    ['anyone else', held, 'bob', 'payments down', refused(/^bob is not an emergency approver \(emergency approvers: alice, erin\)$/)],
    ['the author, although an emergency approver', held, 'alice', 'my fix', refused(/^alice is the author of this release and cannot approve its emergency/)],
    ['without a reason', held, 'erin', ' ', refused(/needs a reason/)],
    ['without saying who', held, '', 'x', refused(/say who you are/)],
    ['twice', { ...held, emergency: { approval: { by: 'erin' } } }, 'erin', 'again', refused(/already approved by erin/)],
    ['a release that is not an emergency', { ...held, emergency: undefined }, 'erin', 'x', refused(/not started as an emergency/)],
    ['a release that ended', { ...held, finished: true }, 'erin', 'x', refused(/already ended/)],
    ['a catalogue without emergency approvers', { ...held, authority: { service: 'web' } }, 'erin', 'x', refused(/list them under roles.emergencyApprovers/)],
  ])('an emergency approval by %s', (_what, ctx, by, reason, verdict) => {
    expect(checkEmergencyApproval(ctx, by, reason)).toEqual(verdict);
  });

  test.each([
    ['a process owner with a reason, while a gate holds', held, 'dana', 'staging only', { ok: true }],
    ['an emergency approver', held, 'erin', 'x', refused(/^erin is not a process owner \(process owners: dana\)$/)],
    ['a process owner without a reason', held, 'dana', '', refused(/^an override needs a reason/)],
    ['a process owner while nothing holds', { ...held, heldBy: undefined }, 'dana', 'x', refused(/^nothing to override/)],
    ['a process owner after the end', { ...held, finished: true }, 'dana', 'x', refused(/already ended/)],
  ])('an override by %s', (_what, ctx, by, reason, verdict) => {
    expect(checkOverride(ctx, by, reason)).toEqual(verdict);
  });

  test('an emergency start names its reason and ticket', () => {
    expect(checkEmergencyRequest({ reason: 'payments down', ticket: 'INC-1' })).toEqual([]);
    expect(checkEmergencyRequest({}).map((p) => p.field)).toEqual(['reason', 'ticket']);
    expect(checkEmergencyRequest({ reason: 'x', ticket: 'y'.repeat(201) })).toEqual([{ field: 'ticket', message: expect.stringMatching(/longer than 200/) }]);
  });

  test("a service's roles add to the catalogue's", () => {
    expect(mergeRoles({ processOwners: ['dana'], emergencyApprovers: ['erin'], auditors: [] }, { practitioners: ['group:web'], processOwners: ['frank', 'dana'], emergencyApprovers: [], auditors: ['ivan'] })).toEqual({
      practitioners: ['group:web'],
      processOwners: ['dana', 'frank'],
      emergencyApprovers: ['erin'],
      auditors: ['ivan'],
    });
    expect(mergeRoles(undefined, undefined)).toBeUndefined();
  });
});
