import type { FlagDocument } from '../../src/policy/flags/flag-document';

/** A flag that is dark (everyone off), then an allow-list, then a percentage, then killed. */
export function darkFlag(): FlagDocument {
  return {
    flags: {
      'new-checkout': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
    },
  };
}

export function allowList(): FlagDocument {
  return {
    flags: {
      'new-checkout': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: {
          if: [{ or: [{ in: [{ var: 'email' }, ['ann@example.com', 'bob@example.com']] }, { ends_with: [{ var: 'email' }, '@corp.example'] }] }, 'on', null],
        },
      },
    },
  };
}

export function percentage(on: number): FlagDocument {
  return {
    flags: {
      'new-checkout': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: { fractional: [['on', on], ['off', 100 - on]] },
      },
    },
  };
}

export function killed(): FlagDocument {
  return {
    flags: {
      'new-checkout': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
    },
  };
}

/** Every shape the validator must accept, each also accepted by flagd's own validator. */
export function everyShape(): FlagDocument {
  return {
    $schema: 'https://flagd.dev/schema/v0/flags.json',
    $evaluators: { internal: { ends_with: [{ var: 'email' }, '@corp.example'] } },
    metadata: { flagSetId: 'web', version: '7' },
    flags: {
      'new-checkout': allowList().flags['new-checkout'],
      'ramp': percentage(25).flags['new-checkout'],
      'by-email': { state: 'ENABLED', variants: { a: 'blue', b: 'green' }, defaultVariant: 'a', targeting: { fractional: [{ var: 'email' }, ['a', 50], ['b', 50]] } },
      'shared-rule': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { if: [{ $ref: 'internal' }, 'on', 'off'] } },
      'domain-substring': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { if: [{ in: ['@corp.example', { var: 'email' }] }, 'on', null] } },
      'admins': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { if: [{ starts_with: [{ var: 'email' }, 'admin-'] }, 'on', 'off'] } },
      'new-api': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off', targeting: { if: [{ sem_ver: [{ var: 'version' }, '>=', '1.4.0'] }, 'on', 'off'] } },
      'page-size': { state: 'DISABLED', variants: { small: 10, large: 50 }, defaultVariant: 'small', metadata: { owner: 'web-team' } },
      'theme': { state: 'ENABLED', variants: { dark: { bg: '#000' }, light: { bg: '#fff' } }, defaultVariant: null },
      'empty-targeting': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on', targeting: {} },
    },
  };
}
