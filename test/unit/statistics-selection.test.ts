import { hodgesLehmann } from '../../src/policy/statistics/hodges-lehmann';
import { normalQuantile } from '../../src/policy/statistics/normal';

/**
 * The Hodges–Lehmann selection (every order statistic found by counting, several ranks
 * sharing their counts) against every pairwise difference listed and sorted, on samples
 * large enough that the selection has to search (more than a thousand differences).
 */
let seed = 5;
const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const sorted = (values: number[]) => Float64Array.from(values).sort();

function bruteForce(canary: Float64Array, stable: Float64Array, confidence: number) {
  const all: number[] = [];
  for (const a of canary) for (const b of stable) all.push(a - b);
  all.sort((x, y) => x - y);
  const pairs = all.length;
  const estimate = pairs % 2 === 1 ? all[(pairs - 1) / 2] : (all[pairs / 2 - 1] + all[pairs / 2]) / 2;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const k = Math.max(1, Math.round(pairs / 2 - z * Math.sqrt((pairs * (canary.length + stable.length + 1)) / 12)));
  return { estimate, lower: all[k - 1], upper: all[pairs - k], confidence };
}

const draws: [string, () => number][] = [
  ['continuous', () => 10 + 5 * next()],
  ['rounded to tenths (ties)', () => Math.round(next() * 300) / 10],
  ['few distinct values (heavy ties)', () => Math.floor(next() * 4)],
  ['mostly one value', () => (next() < 0.9 ? 2 : next() * 10)],
];

describe.each(draws)('samples %s', (_name, draw) => {
  test.each([
    [40, 30],
    [61, 47],
    [200, 150],
    [301, 299],
    [500, 20],
  ])('%d × %d, at several confidences, as every difference sorted', (n, m) => {
    for (const confidence of [0.5, 0.9, 0.95, 0.99]) {
      for (let shift = -2; shift <= 2; shift += 2) {
        const canary = sorted(Array.from({ length: n }, () => draw() + shift));
        const stable = sorted(Array.from({ length: m }, draw));
        expect(hodgesLehmann(canary, stable, confidence)).toEqual(bruteForce(canary, stable, confidence));
      }
    }
  });
});

test('one side much wider than the other, as every difference sorted', () => {
  const canary = sorted(Array.from({ length: 120 }, () => next() * 1000));
  const stable = sorted(Array.from({ length: 130 }, () => 500 + next()));
  expect(hodgesLehmann(canary, stable)).toEqual(bruteForce(canary, stable, 0.95));
});
