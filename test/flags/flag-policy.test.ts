import { validateCatalogue } from '../../src/config/validate-catalogue';
import { checkFlagRole } from '../../src/policy/flag-authority';
import { describeFlagChange } from '../../src/policy/flag-changes';
import { killedDefinition, offVariantOf } from '../../src/policy/flag-kill';
import type { FlagDefinition } from '../../src/policy/flags/flag-document';
import { validateFlagDocument } from '../../src/policy/flags/validate-flag-document';
import { allowList, percentage } from './fixtures';

const checkout = (): FlagDefinition => percentage(25).flags['new-checkout'];

describe('the kill switch: what a kill makes of a flag', () => {
  test.each<[string, FlagDefinition, ReturnType<typeof killedDefinition>]>([
    [
      'a percentage rollout: targeting removed, default the off variant',
      checkout(),
      { method: 'off_variant', offVariant: 'off', definition: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' } },
    ],
    [
      'a DISABLED flag with an off variant is served off, not left to the code default',
      { state: 'DISABLED', variants: { enabled: true, disabled: false }, defaultVariant: 'enabled' },
      { method: 'off_variant', offVariant: 'disabled', definition: { state: 'ENABLED', variants: { enabled: true, disabled: false }, defaultVariant: 'disabled' } },
    ],
    [
      'no value that means off: DISABLED, applications get their code default',
      { state: 'ENABLED', variants: { blue: '#00f', green: '#0f0' }, defaultVariant: 'green', metadata: { owner: 'web' } },
      { method: 'disabled', definition: { state: 'DISABLED', variants: { blue: '#00f', green: '#0f0' }, defaultVariant: 'green', metadata: { owner: 'web' } } },
    ],
  ])('%s', (_what, flag, expected) => {
    const killed = killedDefinition(flag);
    expect(killed).toEqual(expected);
    // Whatever it makes is a valid flag the store accepts.
    expect(validateFlagDocument({ flags: { f: killed.definition } }).ok).toBe(true);
  });

  test('the off variant: named off first, else the one false value; two false values are ambiguous', () => {
    expect(offVariantOf({ state: 'ENABLED', variants: { off: 'legacy', new: 'modern' } })).toBe('off');
    expect(offVariantOf({ state: 'ENABLED', variants: { a: false, b: false, c: true } })).toBeUndefined();
  });
});

describe('what a change did, one line each', () => {
  test('a new flag, a kill, a widening, the same definition again', () => {
    expect(describeFlagChange(undefined, checkout())).toEqual(['created: ENABLED, variants on, off, default off, with targeting']);
    expect(describeFlagChange(checkout(), killedDefinition(checkout()).definition)).toEqual(['targeting removed']);
    expect(describeFlagChange(checkout(), percentage(50).flags['new-checkout'])).toEqual(['targeting changed']);
    expect(describeFlagChange(allowList().flags['new-checkout'], { ...checkout(), state: 'DISABLED', defaultVariant: 'on' })).toEqual([
      'state ENABLED → DISABLED',
      'defaultVariant off → on',
      'targeting changed',
    ]);
    const reordered: FlagDefinition = { defaultVariant: 'off', variants: { off: false, on: true }, state: 'ENABLED', targeting: checkout().targeting };
    expect(describeFlagChange(checkout(), reordered)).toEqual(['no change (the same definition again)']);
  });
});

describe('who may set and kill flags', () => {
  const authority = { flags: { editors: ['ann'], killers: ['group:oncall'] }, processOwners: ['dana'], groups: { oncall: ['olga'] } };
  test.each([
    ['set', 'ann', true],
    ['kill', 'ann', true],
    ['kill', 'olga', true],
    ['set', 'olga', false],
    ['set', 'dana', true],
    ['kill', 'dana', true],
    ['kill', 'mallory', false],
  ] as const)('%s by %s: %s', (action, who, ok) => {
    expect(checkFlagRole(action, who, 'new-checkout', authority).ok).toBe(ok);
  });

  test('a refusal says who may', () => {
    expect(checkFlagRole('kill', 'mallory', 'new-checkout', authority)).toEqual({
      ok: false,
      reason: "mallory may not kill flag new-checkout: not a flag killer, editor or process owner (killers: olga; editors: ann; process owners: dana); the catalogue's flags: section names them",
    });
    expect(checkFlagRole('set', 'olga', 'new-checkout', authority)).toMatchObject({ ok: false, reason: expect.stringMatching(/^olga may not set flag new-checkout: not a flag editor or process owner \(editors: ann; process owners: dana\)/) });
  });

  test('without a flags: section anyone may; nobody may without saying who', () => {
    expect(checkFlagRole('kill', 'anyone', 'f', {}).ok).toBe(true);
    expect(checkFlagRole('set', ' ', 'f', {})).toEqual({ ok: false, reason: 'say who you are (by / --as)' });
  });
});

describe('the catalogue\'s flags: section', () => {
  const catalogue = (flags: unknown) => ({
    version: 1,
    groups: { oncall: ['olga'] },
    flags,
    services: { web: { repository: './web', build: 'true', test: { unit: 'true', lint: 'true' }, artifact: { include: ['dist'] }, run: { command: 'node server.js' } } },
  });

  test('editors and killers, people or declared groups', () => {
    const result = validateCatalogue(catalogue({ editors: ['ann'], killers: ['group:oncall'] }));
    expect(result.success && result.catalogue.flags).toEqual({ editors: ['ann'], killers: ['group:oncall'] });
  });

  test.each([
    [{ killers: ['group:sre'] }, 'flags.killers.0', /group:sre is not declared; declare it under groups: \(declared: oncall\)/],
    [{ editors: ['ann'], owners: ['x'] }, 'flags.owners', /owners/],
    [{ editors: ['not a name'] }, 'flags.editors.0', /must be a user name or e-mail address/],
  ])('%j is refused at %s', (flags, at, message) => {
    const result = validateCatalogue(catalogue(flags));
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: at.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), message: expect.stringMatching(message) })]));
  });
});
