import { Runtime, DefaultLogger } from '@temporalio/worker';
import { PrometheusMetricsProvider } from '../../src/providers/metrics/prometheus-metrics-provider';
import { HaproxyRuntimeApi } from '../../src/providers/router/haproxy-runtime-api';
import { exampleServiceAs, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { startHaproxy, type RunningHaproxy } from '../support/haproxy';
import { startLoad, type Load } from '../support/load';
import { startProber, type Prober } from '../support/prober';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus';
import { releaseAndWait } from '../support/traffic';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * The same canary, driving a real HAProxy over its runtime API instead of the embedded
 * router, and judged by a real Prometheus scraping HAProxy's own exporter. HAProxy knows
 * servers (`stable`, `canary`), not versions, so the queries select by {{role}}.
 *
 * Latency is not judged here, because it cannot be: HAProxy 2.6's exporter has, per
 * server, the average response time of the last 1024 connections and the maximum since
 * start (`haproxy_server_response_time_average_seconds`, `…_max_response_time_seconds`),
 * but no histogram and no quantile, and neither number is a p99. So the latency query is
 * `null`: the source says it cannot measure latency, and every analysis judges requests
 * and error rate and says that latency was not judged (never "no data", which would make
 * every check inconclusive and no step could pass).
 */
let stack: E2EStack;
let haproxy: RunningHaproxy;
let prometheus: RunningPrometheus;
let load: Load | undefined;
/** Fails the test on any request that found production dark. */
let prober: Prober | undefined;
let queries: { requests: string; errors: string; latencyP99Ms: null };
const INTERVAL_MS = 4_000;

/** One analysis as the release status shows it. */
type Analysis = { weight: number; verdict: string; summary: string };
/** What an analysis says when it has a p99 to judge: "p99 412 ms …". */
const CLAIMS_A_P99 = /\bp99 \d/;

beforeAll(async () => {
  haproxy = await startHaproxy({ prometheusExporter: true });
  prometheus = await startPrometheus({ targets: [haproxy.metricsHost!], scrapeIntervalMs: 1000 });
  const server = `proxy="${haproxy.backend}",server="{{role}}"`;
  queries = {
    requests: `sum(increase(haproxy_server_http_responses_total{${server}}[{{window}}]))`,
    errors: `sum(increase(haproxy_server_http_responses_total{${server},code="5xx"}[{{window}}]))`,
    latencyP99Ms: null,
  };
  stack = await startE2EStack('haproxy', {
    editConfig: exampleServiceAs('depot', {
      strategy: 'canary',
      router: { kind: 'haproxy', socket: haproxy.socket, backend: haproxy.backend, url: haproxy.url },
      metrics: { kind: 'prometheus', url: prometheus.url, queries },
      canary: {
        steps: [{ weight: 30, soak: '12s' }, { weight: 100 }],
        interval: `${INTERVAL_MS / 1000}s`,
        analysis: { minRequests: 5, failureLimit: 2, maxErrorRate: 0.05 },
      },
    }),
  });
});
afterEach(() => {
  expect(prober?.dark ?? []).toEqual([]);
});
afterAll(async () => {
  await prober?.stop();
  await load?.stop();
  await stack?.stop();
  await prometheus?.stop();
  await haproxy?.stop();
});

/** Which versions answer through HAProxy now (the example service answers with its version). */
async function versionsServing(n = 40): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const response = await fetch(haproxy.url, { headers: { 'x-gantry-user': `probe-${i}` } });
    const body = (await response.json().catch(() => ({}))) as { version?: string };
    const v = body.version ?? `status ${response.status}`;
    seen[v] = (seen[v] ?? 0) + 1;
  }
  return seen;
}

// Three releases with canary soaks, each storing its record before every environment: more than jest's default 2 minutes on a loaded machine.
test('a canary through HAProxy: a good version is promoted, a bad one rolled back with HAProxy serving stable only', async () => {
  const first = await releaseAndWait(stack, 'depot', '1.0.0');
  expect({ outcome: first.doc.outcome, reason: first.doc.reason }).toEqual({ outcome: 'succeeded' });
  expect(await versionsServing()).toEqual({ '1.0.0': 40 });
  load = startLoad(haproxy.url, { concurrency: 4, pauseMs: 20, userKeys: true });
  prober = startProber(haproxy.url);
  await new Promise((r) => setTimeout(r, 6_000)); // Prometheus' first scrapes

  const good = await releaseAndWait(stack, 'depot', '1.1.0');
  expect({ outcome: good.doc.outcome, reason: good.doc.reason }).toEqual({ outcome: 'succeeded' });
  expect(await versionsServing()).toEqual({ '1.1.0': 40 });
  // The planned checks passed, each judging requests and error rate and saying that latency was not judged. On a
  // loaded machine a scrape can come late: such a check is inconclusive for want of data, and made again.
  const goodAnalyses = good.doc.status.rollout.analyses as Analysis[];
  const passed = goodAnalyses.filter((a) => a.verdict === 'pass');
  expect(passed.length).toBeGreaterThanOrEqual(3);
  for (const analysis of passed) {
    expect(analysis).toMatchObject({ weight: 30, summary: expect.stringMatching(/^[\d.]+ requests \(need 5\); error rate 0 % ≤ limit 5 %; latency not judged: the metrics source has no latency query/) });
  }
  for (const analysis of goodAnalyses.filter((a) => a.verdict !== 'pass')) {
    expect(analysis).toMatchObject({ verdict: 'inconclusive', summary: expect.stringMatching(/^no measurement of the new version: no data: /) });
  }

  // The measurement itself: requests and an error rate from HAProxy, and no p99 at all.
  const measured = await new PrometheusMetricsProvider({ url: prometheus.url, queries }).measure({
    service: 'depot',
    environment: 'production',
    version: '1.1.0',
    // Promoted: 1.1.0 now sits behind the `stable` server.
    role: 'stable',
    windowMs: INTERVAL_MS,
  });
  expect(measured).toEqual({ kind: 'value', requests: expect.any(Number), errors: 0, errorRate: 0, latencyMs: {}, latencyUnmeasured: expect.stringMatching(/no latency query/) });

  const bad = await releaseAndWait(stack, 'depot', '1.2.0-bad');
  expect(bad.doc.outcome).toBe('rolled_back');
  expect(bad.doc.reason).toMatch(/^canary at 30 %: 2 failed checks in a row \(limit 2\): error rate [\d.]+ % > limit 5 %$/);
  const badAnalyses = bad.doc.status.rollout.analyses as Analysis[];
  expect(badAnalyses.filter((a) => a.verdict === 'fail').map((a) => a.summary)).toEqual([
    expect.stringMatching(/^error rate [\d.]+ % > limit 5 %$/),
    expect.stringMatching(/^error rate [\d.]+ % > limit 5 %$/),
  ]);
  expect(badAnalyses.filter((a) => CLAIMS_A_P99.test(a.summary))).toEqual([]);
  expect(await versionsServing()).toEqual({ '1.1.0': 40 });
  // HAProxy was driven live over its runtime API: no reload, the same process throughout.
  expect(Number((await new HaproxyRuntimeApi(haproxy.socket).info()).Pid)).toBe(haproxy.pid);
}, 300_000);
