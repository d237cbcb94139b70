import { checkReleaseRequest } from '../../src/policy/release-request';

const good = { service: 'web', version: '1.4.2', commit: 'a1b2c3d4e5f6', author: 'alice' };

describe('checkReleaseRequest', () => {
  test('accepts a well-formed request', () => {
    expect(checkReleaseRequest(good)).toEqual([]);
    expect(checkReleaseRequest({ ...good, version: 'v2.0.0-rc.1+build.7' })).toEqual([]);
  });

  test.each(['a1b2c3d', '0123456789abcdef0123456789abcdef01234567', 'v1.4.2', 'release/2026-12'])('commit %s may name a commit (a SHA, or a tag the worker resolves)', (commit) => {
    expect(checkReleaseRequest({ ...good, commit })).toEqual([]);
  });

  test.each([
    ['version', { version: '1.4' }, /not a semantic version; write MAJOR.MINOR.PATCH/],
    ['version', { version: 'latest' }, /not a semantic version/],
    ['version', { version: '01.2.3' }, /not a semantic version/],
    ['commit', { commit: 'has space' }, /neither a git commit SHA .* nor a tag name/],
    ['commit', { commit: '-rf' }, /nor a tag name/],
    ['commit', { commit: 'v1..2' }, /nor a tag name/],
    ['commit', { commit: 'main.lock' }, /nor a tag name/],
    ['commit', { commit: 'HEAD@{1}' }, /nor a tag name/],
    ['commit', { commit: 'release/' }, /nor a tag name/],
    ['service', { service: 'Web_App' }, /not a service name/],
    ['author', { author: 'bob smith' }, /not a user name/],
    ['author', { author: '' }, /is required/],
    ['reason', { rollback: { reason: '' } }, /^is required with --rollback: say why the older version goes back/],
    ['reason', { rollback: { reason: '   ' } }, /^is required with --rollback/],
  ])('%s %j is refused', (field, change, message) => {
    expect(checkReleaseRequest({ ...good, ...change })).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  test('an explicit rollback with its reason is a well-formed request', () => {
    expect(checkReleaseRequest({ ...good, version: '1.4.1', rollback: { reason: '1.4.2 corrupts carts' } })).toEqual([]);
  });

  test('reports every missing field at once', () => {
    expect(checkReleaseRequest({}).map((p) => p.field)).toEqual(['service', 'version', 'commit', 'author']);
  });
});
