import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Measurement } from '../../src/contracts/measurements';
import { findFreePort } from '../../src/providers/process/free-port';
import type { MetricsQuery } from '../../src/providers/metrics/metrics';
import { PrometheusMetricsProvider } from '../../src/providers/metrics/prometheus-metrics-provider';
import { FakeRouterAdmin, codeMix } from '../support/fake-router-admin';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus';

/**
 * Against a real Prometheus scraping a router-shaped /metrics every second while traffic
 * flows: 1.0.0 answers in ~20 ms with 5 % 4xx (not errors), 2.0.0 in ~300 ms with 5 % 5xx
 * and 5 % unforwarded (10 % errors).
 */

const WINDOW_MS = 5_000;
const query = (version: string): MetricsQuery => ({ service: 'web', environment: 'production', version, windowMs: WINDOW_MS });

let router: FakeRouterAdmin;
let prometheus: RunningPrometheus;
let provider: PrometheusMetricsProvider;

beforeAll(async () => {
  router = await FakeRouterAdmin.start('web', 'production');
  router.driveTraffic([
    { version: '1.0.0', codes: codeMix({ '2xx': 19, '4xx': 1 }), latencyMs: 20 },
    { version: '2.0.0', codes: codeMix({ '2xx': 18, '5xx': 1, error: 1 }), latencyMs: 300 },
  ]);
  const started = Date.now();
  prometheus = await startPrometheus({ targets: [router.hostPort] });
  process.stderr.write(`prometheus ready in ${Date.now() - started} ms at ${prometheus.url}\n`);
  provider = new PrometheusMetricsProvider({ url: prometheus.url });
}, 20_000);

afterAll(async () => {
  await prometheus?.stop();
  await router?.close();
});

/** Measures until `done` holds, for at most `timeoutMs`; fails with the last measurement. */
async function measureUntil(
  p: PrometheusMetricsProvider,
  q: MetricsQuery,
  done: (m: Measurement) => boolean,
  timeoutMs = 15_000,
): Promise<Measurement> {
  const deadline = Date.now() + timeoutMs;
  let last: Measurement;
  do {
    last = await p.measure(q);
    if (done(last)) return last;
    await sleep(250);
  } while (Date.now() < deadline);
  throw new Error(`no matching measurement of ${q.version} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

const settled = (m: Measurement): boolean => m.kind === 'value' && m.requests > 100 && m.latencyMs.p99 !== undefined;

test('is online while Prometheus runs, whatever the scope', async () => {
  expect(await provider.probe({ service: 'web', environment: 'production' })).toEqual({ online: true });
  expect(await provider.probe({ service: 'api', environment: 'staging' })).toEqual({ online: true });
});

test('measures the version with errors: requests, a 10 % error rate, p99 in the 250–500 ms bucket', async () => {
  const m = await measureUntil(provider, query('2.0.0'), (m) => settled(m) && m.kind === 'value' && Math.abs(m.errorRate - 0.1) <= 0.03);
  if (m.kind !== 'value') throw new Error('unreachable');
  expect(m.requests).toBeGreaterThan(100);
  expect(m.errors).toBeGreaterThan(0);
  expect(m.errorRate).toBeCloseTo(m.errors / m.requests, 10);
  expect(m.latencyMs.p99).toBeGreaterThan(250);
  expect(m.latencyMs.p99).toBeLessThanOrEqual(500);
});

test('measures the healthy version: 4xx are not errors, and a missing error series is 0 errors', async () => {
  const m = await measureUntil(provider, query('1.0.0'), settled);
  if (m.kind !== 'value') throw new Error('unreachable');
  expect(m.errors).toBe(0);
  expect(m.errorRate).toBe(0);
  expect(m.latencyMs.p99).toBeGreaterThan(10);
  expect(m.latencyMs.p99).toBeLessThanOrEqual(25);
});

test('a version without traffic is noData, and the reason shows the query', async () => {
  const m = await provider.measure(query('9.9.9'));
  expect(m.kind).toBe('noData');
  if (m.kind !== 'noData') return;
  expect(m.reason).toContain('sum(increase(gantry_router_requests_total{service="web",environment="production",version="9.9.9"}[5s]))');
  expect(m.reason).toContain('empty result');
});

test('label values are escaped: a hostile version is just a version without data', async () => {
  const m = await provider.measure(query('1.0.0"} or vector(1) # \\'));
  expect(m).toMatchObject({ kind: 'noData' });
  if (m.kind !== 'noData') return;
  expect(m.reason).toContain('version="1.0.0\\"} or vector(1) # \\\\"');
});

test('a custom query overrides the default, with placeholders filled in', async () => {
  // Counting 4xx as errors: 1.0.0 then has a 5 % error rate instead of none.
  const custom = new PrometheusMetricsProvider({
    url: prometheus.url,
    queries: {
      errors: 'sum(increase(gantry_router_requests_total{service="{{service}}",environment="{{ environment }}",version="{{version}}",code_class="4xx"}[{{window}}]))',
    },
  });
  const m = await measureUntil(custom, query('1.0.0'), (m) => settled(m) && m.kind === 'value' && Math.abs(m.errorRate - 0.05) <= 0.02);
  expect(m).toMatchObject({ kind: 'value' });
});

test('a source configured without a latency query measures requests and errors and says latency is unmeasured', async () => {
  const withoutLatency = new PrometheusMetricsProvider({ url: prometheus.url, queries: { latencyP99Ms: null } });
  const m = await measureUntil(withoutLatency, query('1.0.0'), (m) => m.kind === 'value' && m.requests > 100);
  expect(m).toMatchObject({ kind: 'value', latencyMs: {}, latencyUnmeasured: 'the metrics source has no latency query (metrics.queries.latencyP99Ms: null)' });
});

test('a query that returns several series is noData that says to aggregate it', async () => {
  const custom = new PrometheusMetricsProvider({
    url: prometheus.url,
    queries: { requests: 'increase(gantry_router_requests_total{version="{{version}}"}[{{window}}])' },
  });
  const m = await measureUntil(custom, query('2.0.0'), (m) => m.kind === 'noData' && m.reason.includes('series'));
  expect(m.kind === 'noData' && m.reason).toContain('sum()');
});

test('a query Prometheus refuses (status: error) is unreachable with its error', async () => {
  const broken = new PrometheusMetricsProvider({ url: prometheus.url, queries: { requests: 'sum(rate(gantry_router_requests_total{version="{{version}}"}' } });
  const m = await broken.measure(query('2.0.0'));
  expect(m.kind).toBe('unreachable');
  if (m.kind !== 'unreachable') return;
  expect(m.reason).toContain(prometheus.url);
  expect(m.reason).toContain('bad_data');
  expect(m.reason).toContain('sum(rate(gantry_router_requests_total{version="2.0.0"}');
});

test('an unknown placeholder is refused when the provider is made', () => {
  expect(() => new PrometheusMetricsProvider({ url: prometheus.url, queries: { errors: 'sum(x{v="{{verison}}"})' } })).toThrow(
    /metrics\.queries\.errors uses \{\{verison\}\}; the placeholders are \{\{service\}\}/,
  );
});

test('a Prometheus that is not running is unreachable and offline', async () => {
  const url = `http://127.0.0.1:${await findFreePort()}`;
  const down = new PrometheusMetricsProvider({ url });
  const m = await down.measure(query('2.0.0'));
  expect(m.kind).toBe('unreachable');
  if (m.kind !== 'unreachable') return;
  expect(m.reason).toContain(url);
  expect(m.reason).toContain('connection refused');
  expect(await down.probe({ service: 'web', environment: 'production' })).toEqual({
    online: false,
    reason: `Prometheus at ${url} did not answer: connection refused`,
  });
});

test('something that is not Prometheus (HTTP 404) is unreachable and offline', async () => {
  const notPrometheus = new PrometheusMetricsProvider({ url: router.url });
  const m = await notPrometheus.measure(query('2.0.0'));
  expect(m).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('HTTP 404') });
  expect(await notPrometheus.probe({ service: 'web', environment: 'production' })).toEqual({
    online: false,
    reason: expect.stringMatching(new RegExp(`^Prometheus at ${router.url} answered HTTP 404 to 1: `)),
  });
});

test('a server that accepts connections but never answers is offline once the timeout passes', async () => {
  // Holds every connection open without a byte of answer, as a wedged server would.
  const held = new Set<net.Socket>();
  const silent = net.createServer((socket) => held.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    const started = Date.now();
    const answer = await new PrometheusMetricsProvider({ url, timeoutMs: 300 }).probe({ service: 'web', environment: 'production' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(answer).toEqual({ online: false, reason: `Prometheus at ${url} did not answer: no answer within 300 ms` });
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
