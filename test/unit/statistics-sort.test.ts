import { sortNonNegative } from '../../src/policy/statistics/sort';

/** The radix sort against the comparison sort it replaces, value for value (−0 apart from +0). */
let seed = 3;
const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const sameAsBuiltIn = (values: number[]) => {
  const expected = Float64Array.from(values).sort();
  const sorted = sortNonNegative(Float64Array.from(values));
  expect(sorted.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) if (!Object.is(sorted[i], expected[i])) throw new Error(`at ${i}: ${sorted[i]} instead of ${expected[i]}`);
};

describe('sorting non-negative samples', () => {
  test.each([
    ['latencies of one magnitude', () => 40 * Math.exp(0.3 * (next() - 0.5))],
    ['values across magnitudes, from denormals to 1e300', () => Math.pow(10, -320 + next() * 620)],
    ['whole numbers with many ties and zeros', () => Math.floor(next() * 7)],
    ['zeros of both signs among ties', () => (next() < 0.3 ? -0 : next() < 0.5 ? 0 : Math.round(next() * 20) / 4)],
    ['infinity among values', () => (next() < 0.01 ? Number.POSITIVE_INFINITY : next() * 1e6)],
  ])('%s, as Float64Array.prototype.sort', (_name, draw) => {
    for (const length of [0, 1, 100, 511, 512, 3000, 20_000]) sameAsBuiltIn(Array.from({ length }, draw));
  });

  test('every value equal: each digit is shared and skipped', () => {
    sameAsBuiltIn(Array.from({ length: 5000 }, () => 12.5));
    sameAsBuiltIn(Array.from({ length: 5000 }, () => 0));
  });

  test('sorts in place, a view into a larger buffer included', () => {
    const buffer = Float64Array.from(Array.from({ length: 4000 }, () => next() * 100));
    const view = buffer.subarray(1000, 3000);
    const outside = [...buffer.subarray(0, 1000), ...buffer.subarray(3000)];
    const expected = Float64Array.from(view).sort();
    expect(sortNonNegative(view)).toBe(view);
    expect([...view]).toEqual([...expected]);
    expect([...buffer.subarray(0, 1000), ...buffer.subarray(3000)]).toEqual(outside);
  });
});
