import { compareVersions, decideDowngrade } from '../../src/policy/version-order';

describe('compareVersions: semantic-version precedence', () => {
  test.each([
    // a, b, sign of compare(a, b)
    ['1.4.2', '1.4.2', 0],
    ['1.4.1', '1.4.2', -1],
    ['1.4.10', '1.4.9', 1],
    ['1.10.0', '1.9.9', 1],
    ['2.0.0', '1.99.99', 1],
    ['v1.4.2', '1.4.2', 0],
    ['1.4.2+build.7', '1.4.2', 0],
    ['1.4.2+a', '1.4.2+b', 0],
    // A pre-release comes before its release, and after the release before it.
    ['1.4.2-rc.1', '1.4.2', -1],
    ['1.4.2-rc.1', '1.4.1', 1],
    // Identifiers one by one: numbers numerically, words in ASCII order, numbers before words.
    ['1.4.2-rc.2', '1.4.2-rc.10', -1],
    ['1.4.2-alpha', '1.4.2-beta', -1],
    ['1.4.2-1', '1.4.2-alpha', -1],
    ['1.4.2-alpha', '1.4.2-alpha.1', -1],
    ['1.4.2-alpha.beta', '1.4.2-alpha.1', 1],
    ['1.4.2-Z', '1.4.2-a', -1],
    // semver.org's own chain, in order.
    ['1.0.0-alpha.1', '1.0.0-alpha.beta', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-beta.11', '1.0.0-rc.1', -1],
    ['1.0.0-rc.1', '1.0.0', -1],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(compareVersions(a, b)).toBe(sign);
    expect(compareVersions(b, a)).toBe(sign === 0 ? 0 : -sign);
  });

  test('sorts a shuffled list into precedence order', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '10.0.0'];
    const shuffled = [ordered[5], ordered[11], ordered[0], ordered[7], ordered[2], ordered[9], ordered[1], ordered[10], ordered[3], ordered[8], ordered[6], ordered[4]];
    expect([...shuffled].sort(compareVersions)).toEqual(ordered);
  });

  test('a string that is not a version is a bug of the caller, said plainly', () => {
    expect(() => compareVersions('latest', '1.0.0')).toThrow('"latest" is not a semantic version');
  });
});

describe('decideDowngrade: an older version never replaces a newer one unless it is a rollback', () => {
  test.each([
    // version, running there, rollback, decision
    ['1.4.2', undefined, false, { kind: 'allowed' }],
    ['1.4.2', '1.4.2', false, { kind: 'allowed' }],
    ['1.4.3', '1.4.2', false, { kind: 'allowed' }],
    ['1.4.2', '1.4.2-rc.1', false, { kind: 'allowed' }],
    ['1.4.2', '1.4.2-rc.1', true, { kind: 'allowed' }],
    ['1.4.1', '1.4.2', true, { kind: 'rollback', replaces: '1.4.2' }],
    ['1.4.2-rc.1', '1.4.2', false, { kind: 'refused', reason: '1.4.2-rc.1 is older than 1.4.2, which runs in production; start it with --rollback --reason … to roll back' }],
    ['1.4.1', '1.4.2', false, { kind: 'refused', reason: '1.4.1 is older than 1.4.2, which runs in production; start it with --rollback --reason … to roll back' }],
  ] as const)('%s where %s runs (rollback %s)', (version, running, rollback, decision) => {
    expect(decideDowngrade(version, 'production', running, rollback)).toEqual(decision);
  });
});
