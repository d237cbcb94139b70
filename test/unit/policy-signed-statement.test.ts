import { canonicalStatement, checkStatement, type DecisionStatement } from '../../src/policy/signed-statement';

const at = Date.parse('2026-12-01T22:00:00Z');
const expected = { action: 'approve' as const, service: 'web', version: '1.4.2', artifact: 'sha256:ab', environment: 'production', identity: 'bob' };
const statement = (over: Partial<DecisionStatement> = {}) => canonicalStatement({ ...expected, time: new Date(at).toISOString(), ...over });

describe('the statement a signed approval is about', () => {
  test('is canonical JSON in a fixed order', () => {
    expect(statement()).toBe('{"action":"approve","service":"web","version":"1.4.2","artifact":"sha256:ab","environment":"production","identity":"bob","time":"2026-12-01T22:00:00.000Z"}');
  });

  test.each([
    ['this approval, made a minute ago', statement(), at + 60_000, undefined],
    ['another version', statement({ version: '1.4.3' }), at, /is for version "1.4.3", not "1.4.2"/],
    ['another artifact', statement({ artifact: 'sha256:cd' }), at, /is for artifact "sha256:cd"/],
    ['another environment', statement({ environment: 'staging' }), at, /is for environment "staging"/],
    ['another identity', statement({ identity: 'carol' }), at, /is for identity "carol"/],
    ['made 16 minutes ago', statement(), at + 16 * 60_000, /expired/],
    ['dated in the future', statement(), at - 16 * 60_000, /in the future/],
    ['not canonical', JSON.stringify({ ...expected, time: new Date(at).toISOString() }, null, 1), at, /not in canonical form/],
    ['not JSON', 'approve web', at, /is not JSON/],
  ])('%s', (_what, text, now, refusal) => {
    const verdict = checkStatement(text, expected, now);
    if (!refusal) expect(verdict).toEqual({ ok: true });
    else expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(refusal) });
  });
});
