import { closestMatch, editDistance } from '../../src/config/closest-match';

describe('editDistance', () => {
  test.each([
    ['build', 'build', 0],
    ['buidl', 'build', 1], // a swap of neighbours is one slip
    ['servces', 'services', 1],
    ['unit', 'lint', 2],
    ['', 'abc', 3],
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });
});

describe('closestMatch', () => {
  const keys = ['source', 'build', 'test', 'artifact', 'run', 'smoke', 'environments', 'approval'];

  test.each([
    ['buidl', 'build'],
    ['Build', 'build'],
    ['aproval', 'approval'],
    ['enviroments', 'environments'],
    ['env', 'environments'],
    ['srouce', 'source'],
  ])('takes %s for %s', (word, expected) => {
    expect(closestMatch(word, keys)).toBe(expected);
  });

  test.each(['owner', 'deploy', 'xyz', 'r'])('has no suggestion for %s', (word) => {
    expect(closestMatch(word, keys)).toBeUndefined();
  });

  test('does not take a short word for an unrelated one of the same length', () => {
    expect(closestMatch('unit', ['lint'])).toBeUndefined();
  });
});
