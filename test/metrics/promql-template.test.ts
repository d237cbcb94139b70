import { DEFAULT_PROMQL, escapeLabelValue, fillTemplate, promDuration, unknownPlaceholders } from '../../src/providers/metrics/promql-template';

const query = { service: 'web', environment: 'production', version: '1.4.2', windowMs: 60_000 };

test('default queries read the router metrics of one version over the window', () => {
  expect(fillTemplate(DEFAULT_PROMQL.requests, query)).toBe(
    'sum(increase(gantry_router_requests_total{service="web",environment="production",version="1.4.2"}[60s]))',
  );
  expect(fillTemplate(DEFAULT_PROMQL.errors, query)).toBe(
    'sum(increase(gantry_router_requests_total{service="web",environment="production",version="1.4.2",code_class=~"5xx|error"}[60s]))',
  );
  expect(fillTemplate(DEFAULT_PROMQL.latencyP99Ms, query)).toBe(
    '1000 * histogram_quantile(0.99, sum by (le) (rate(gantry_router_request_duration_seconds_bucket{service="web",environment="production",version="1.4.2"}[60s])))',
  );
});

test.each([
  ['plain', 'plain'],
  ['say "hi"', 'say \\"hi\\"'],
  ['back\\slash', 'back\\\\slash'],
  ['line\nbreak', 'line\\nbreak'],
])('escapes %j for a double-quoted label value', (value, escaped) => {
  expect(escapeLabelValue(value)).toBe(escaped);
});

test('fills every occurrence, tolerates spaces inside the braces, and escapes only label values', () => {
  const filled = fillTemplate('a{v="{{ version }}"} / b{v="{{version}}"}[{{window}}] {{service}}', { ...query, version: '1"2' });
  expect(filled).toBe('a{v="1\\"2"} / b{v="1\\"2"}[60s] web');
});

test.each([
  [60_000, '60s'],
  [1_000, '1s'],
  [1_500, '1500ms'],
  [600_000, '600s'],
])('window %d ms is %s', (ms, duration) => {
  expect(promDuration(ms)).toBe(duration);
});

test('finds placeholders it does not know', () => {
  expect(unknownPlaceholders(DEFAULT_PROMQL.latencyP99Ms)).toEqual([]);
  expect(unknownPlaceholders('x{a="{{verison}}",b="{{ service }}",c="{{env}}"}')).toEqual(['verison', 'env']);
});
