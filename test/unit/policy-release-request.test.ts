import { checkReleaseRequest } from '../../src/policy/release-request';

const good = { service: 'web', version: '1.4.2', commit: 'a1b2c3d4e5f6', author: 'alice' };

describe('checkReleaseRequest', () => {
  test('accepts a well-formed request', () => {
    expect(checkReleaseRequest(good)).toEqual([]);
    expect(checkReleaseRequest({ ...good, version: 'v2.0.0-rc.1+build.7' })).toEqual([]);
  });

  test.each([
    ['version', { version: '1.4' }, /not a semantic version; write MAJOR.MINOR.PATCH/],
    ['version', { version: 'latest' }, /not a semantic version/],
    ['version', { version: '01.2.3' }, /not a semantic version/],
    ['commit', { commit: 'xyz' }, /not a git commit SHA/],
    ['commit', { commit: 'ABCDEF1' }, /not a git commit SHA/],
    ['service', { service: 'Web_App' }, /not a service name/],
    ['author', { author: 'bob smith' }, /not a user name/],
    ['author', { author: '' }, /is required/],
  ])('%s %j is refused', (field, change, message) => {
    expect(checkReleaseRequest({ ...good, ...change })).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  test('reports every missing field at once', () => {
    expect(checkReleaseRequest({}).map((p) => p.field)).toEqual(['service', 'version', 'commit', 'author']);
  });
});
