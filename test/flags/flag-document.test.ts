import type { FlagDocument } from '../../src/policy/flags/flag-document';
import { parseFlagDocument, validateFlagDocument } from '../../src/policy/flags/validate-flag-document';
import { everyShape } from './fixtures';
import { flagdAccepts } from './flagd-validator';

/** Problems as "field: message" lines, the way an operator reads them. */
function problemsOf(value: unknown): string[] {
  const result = validateFlagDocument(value);
  return result.ok ? [] : result.problems.map((p) => `${p.field}: ${p.message}`);
}

function withFlag(flag: unknown): unknown {
  return { flags: { 'new-checkout': flag } };
}

const base = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };

describe('flag documents in flagd JSON', () => {
  test('every supported shape is accepted, round-trips unchanged, and flagd itself accepts it', () => {
    const document = everyShape();
    const text = JSON.stringify(document, null, 2);
    const result = parseFlagDocument(text);
    expect(result).toEqual({ ok: true, document });
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
    expect(flagdAccepts(text)).toEqual({ ok: true });
  });

  test('text that is not JSON names the document and says how to fix it', () => {
    const result = parseFlagDocument('{"flags": {');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0].field).toBe('(document)');
    expect(!result.ok && result.problems[0].message).toMatch(/is not JSON .*fix the syntax/);
  });

  test.each<{ name: string; value: unknown; expected: RegExp }>([
    { name: 'no flags', value: { flag: {} }, expected: /^flags: is missing: a flag document is/ },
    { name: 'a list for flags', value: { flags: [] }, expected: /^flags: must be an object, got a list/ },
    { name: 'a bad state', value: withFlag({ ...base, state: 'ON' }), expected: /^flags\.new-checkout\.state: must be one of "ENABLED", "DISABLED", got "ON"/ },
    { name: 'no state', value: withFlag({ variants: { on: true }, defaultVariant: 'on' }), expected: /^flags\.new-checkout\.state: is missing: add "state": "ENABLED" or "DISABLED"/ },
    { name: 'no variants', value: withFlag({ state: 'ENABLED' }), expected: /^flags\.new-checkout\.variants: is missing/ },
    { name: 'empty variants', value: withFlag({ ...base, variants: {} }), expected: /^flags\.new-checkout\.variants: needs at least one variant/ },
    { name: 'a number for the default variant', value: withFlag({ ...base, defaultVariant: 1 }), expected: /^flags\.new-checkout\.defaultVariant: must be a string or null, got number 1/ },
    { name: 'a list as metadata value', value: withFlag({ ...base, metadata: { owners: ['a'] } }), expected: /^flags\.new-checkout\.metadata\.owners: must be a string, a number or a boolean/ },
    { name: 'a flag key with a dot', value: { flags: { 'a.b': { ...base, state: 'on' } } }, expected: /^flags\["a\.b"\]\.state: must be one of/ },
  ])('not flagd JSON: $name', ({ value, expected }) => {
    const problems = problemsOf(value);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    // flagd's own validator refuses these too (or cannot build the flag).
    expect(flagdAccepts(JSON.stringify(value)).ok).toBe(false);
  });

  test('a misspelt field is refused, though flagd would ignore it and serve no default', () => {
    const value = withFlag({ ...base, defaultvariant: 'off' });
    expect(problemsOf(value)).toEqual([
      'flags.new-checkout.defaultvariant: is not a field of a flagd flag: remove it or fix its spelling (state, variants, defaultVariant, targeting, metadata)',
    ]);
    expect(flagdAccepts(JSON.stringify(value))).toEqual({ ok: true });
  });

  test('a default variant that is not a variant names the field and the variants', () => {
    expect(problemsOf(withFlag({ ...base, defaultVariant: 'of' }))).toEqual([
      'flags.new-checkout.defaultVariant: is "of", which is not a variant of this flag: use one of on, off, or add it to variants',
    ]);
  });

  test('variants of mixed types are refused', () => {
    expect(problemsOf(withFlag({ ...base, variants: { on: true, off: 'no' } }))).toEqual([
      'flags.new-checkout.variants: mix boolean and string values; all variants of a flag have one type (e.g. { "on": true, "off": false })',
    ]);
  });

  describe('fractional', () => {
    const fractional = (...args: unknown[]) => withFlag({ ...base, targeting: { fractional: args } });

    test('percentages that do not add up to 100 are refused, even though flagd would rescale them', () => {
      const value = fractional(['on', 50], ['off', 60]);
      expect(problemsOf(value)).toEqual([
        'flags.new-checkout.targeting.fractional: percentages add up to 110, not 100: change them so they do (flagd would rescale them silently), e.g. ["on", 5], ["off", 95]',
      ]);
      expect(flagdAccepts(JSON.stringify(value))).toEqual({ ok: true });
    });

    test.each<{ name: string; args: unknown[]; expected: string }>([
      { name: 'a fraction', args: [['on', 2.5], ['off', 97]], expected: 'flags.new-checkout.targeting.fractional[0][1]: must be a whole percentage from 0 to 100, got 2.5' },
      { name: 'an unknown variant', args: [['of', 10], ['off', 90]], expected: 'flags.new-checkout.targeting.fractional[0][0]: names "of", which is not a variant of this flag; use one of on, off' },
      { name: 'a bucket without weight', args: [['on'], ['off', 100]], expected: 'flags.new-checkout.targeting.fractional[0]: must be a [variant, percentage] pair, e.g. ["on", 25]' },
      { name: 'a bucketing value that is a number', args: [7, ['on', 100]], expected: 'flags.new-checkout.targeting.fractional[0]: must be the value to bucket by (a string or a rule such as {"var": "email"}), or leave it out to bucket by targetingKey' },
      { name: 'no buckets', args: [{ var: 'email' }], expected: 'flags.new-checkout.targeting.fractional: needs at least one [variant, percentage] bucket, e.g. {"fractional": [["on", 5], ["off", 95]]}' },
    ])('$name', ({ args, expected }) => {
      expect(problemsOf(fractional(...args))).toEqual([expected]);
    });

    test('a bucketing value and 100 in one bucket are fine', () => {
      expect(problemsOf(fractional({ var: 'email' }, ['on', 0], ['off', 100]))).toEqual([]);
    });
  });

  describe('targeting that does not parse as flagd JSON Logic', () => {
    const targeting = (rule: unknown, extra: Record<string, unknown> = {}) => ({ ...extra, flags: { 'new-checkout': { ...base, targeting: rule } } });

    test.each<{ name: string; rule: unknown; expected: string | RegExp }>([
      { name: 'an unknown operator', rule: { if: [{ contains: [{ var: 'email' }, 'corp'] }, 'on', 'off'] }, expected: /^flags\.new-checkout\.targeting\.if\[0\]\.contains: is not an operator flagd knows/ },
      { name: 'two operators in one object', rule: { in: [{ var: 'email' }, ['a@x']], ends_with: [{ var: 'email' }, '@x'] }, expected: /^flags\.new-checkout\.targeting: has 2 operators \(in, ends_with\) in one object; .* combine them with \{"and"/ },
      { name: 'in with one argument', rule: { in: [{ var: 'email' }] }, expected: /^flags\.new-checkout\.targeting\.in: takes 2 arguments, got 1: write e\.g\. \{"in": \[\{"var": "email"\}/ },
      { name: 'in with a number to look in', rule: { in: [{ var: 'email' }, 5] }, expected: /^flags\.new-checkout\.targeting\.in\[1\]: must be a list to look in/ },
      { name: 'ends_with with a number', rule: { ends_with: [{ var: 'email' }, 5] }, expected: /^flags\.new-checkout\.targeting\.ends_with\[1\]: must be a string or a rule that gives one/ },
      { name: 'starts_with with three arguments', rule: { starts_with: [{ var: 'email' }, 'a', 'b'] }, expected: /^flags\.new-checkout\.targeting\.starts_with: takes 2 arguments, got 3/ },
      { name: 'sem_ver with a bad comparison', rule: { sem_ver: [{ var: 'version' }, '=>', '1.0.0'] }, expected: /^flags\.new-checkout\.targeting\.sem_ver\[1\]: must be one of "=", "!=", /},
      { name: 'sem_ver with a bad version', rule: { sem_ver: [{ var: 'version' }, '>=', 'one'] }, expected: /^flags\.new-checkout\.targeting\.sem_ver\[2\]: must be a version such as "1\.4\.0"/ },
      { name: 'a reference to no evaluator', rule: { $ref: 'internal' }, expected: /^flags\.new-checkout\.targeting\.\$ref: refers to "internal", which is not in \$evaluators; define it under \$evaluators first/ },
      { name: 'an empty object inside', rule: { if: [{}, 'on', 'off'] }, expected: /^flags\.new-checkout\.targeting\.if\[0\]: is an empty object/ },
      { name: 'var of a list', rule: { var: [[1]] }, expected: /^flags\.new-checkout\.targeting\.var: must name a context field/ },
    ])('$name', ({ rule, expected }) => {
      expect(problemsOf(targeting(rule))).toEqual([expect.stringMatching(expected)]);
    });

    test('an evaluator is checked too', () => {
      expect(problemsOf({ $evaluators: { internal: { endswith: [{ var: 'email' }, '@x'] } }, flags: {} })).toEqual([
        expect.stringMatching(/^\$evaluators\.internal\.endswith: is not an operator flagd knows/),
      ]);
    });

    test('flagd refuses an unknown operator as well', () => {
      expect(flagdAccepts(JSON.stringify(targeting({ if: [{ contains: [{ var: 'email' }, 'corp'] }, 'on', 'off'] }))).ok).toBe(false);
    });
  });

  test('the validated document is typed for callers', () => {
    const result = validateFlagDocument(everyShape());
    const document: FlagDocument | undefined = result.ok ? result.document : undefined;
    expect(Object.keys(document?.flags ?? {})).toContain('new-checkout');
  });
});
