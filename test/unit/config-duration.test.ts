import { formatDuration, parseDuration } from '../../src/config/duration';

describe('parseDuration', () => {
  test.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['1m30s', 90_000],
    ['1h30m', 5_400_000],
    [' 24h ', 86_400_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '-5m', '5', 'soon', '5 m', '5mins', '1h 30m', 'm5'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  test.each([
    [500, '500ms'],
    [90_000, '1m30s'],
    [86_400_000, '1d'],
    [93_784_000, '1d2h3m4s'],
  ])('%i ms is %s, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
