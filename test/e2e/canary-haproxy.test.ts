import { Runtime, DefaultLogger } from '@temporalio/worker';
import { PrometheusMetricsProvider } from '../../src/providers/metrics/prometheus-metrics-provider';
import { HaproxyRuntimeApi } from '../../src/providers/router/haproxy-runtime-api';
import { exampleServiceAs, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { startHaproxy, type RunningHaproxy } from '../support/haproxy';
import { startLoad, type Load } from '../support/load';
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
 * but no histogram and no quantile, and neither number is a p99. So there is no
 * `latencyP99Ms` query: the default one asks for the embedded router's histogram, which
 * this Prometheus does not have, and every analysis says it has no p99.
 */
let stack: E2EStack;
let haproxy: RunningHaproxy;
let prometheus: RunningPrometheus;
let load: Load | undefined;
let queries: { requests: string; errors: string };
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
  };
  stack = await startE2EStack('haproxy', {
    editConfig: exampleServiceAs('depot', {
      strategy: 'canary',
      router: { kind: 'haproxy', socket: haproxy.socket, backend: haproxy.backend, url: haproxy.url },
      metrics: { kind: 'prometheus', url: prometheus.url, queries },
      canary: {
        steps: [{ weight: 30, soak: '12s' }, { weight: 100 }],
        interval: `${INTERVAL_MS / 1000}s`,
        // Every check is inconclusive for want of a p99, so more than the soak's three
        // checks in a row must be allowed, or every canary here pauses for a human.
        analysis: { minRequests: 5, failureLimit: 2, maxErrorRate: 0.05, inconclusiveLimit: 5 },
      },
    }),
  });
});
afterAll(async () => {
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

test('a canary through HAProxy: a good version is promoted, a bad one rolled back with HAProxy serving stable only', async () => {
  const first = await releaseAndWait(stack, 'depot', '1.0.0');
  expect({ outcome: first.doc.outcome, reason: first.doc.reason }).toEqual({ outcome: 'succeeded' });
  expect(await versionsServing()).toEqual({ '1.0.0': 40 });
  load = startLoad(haproxy.url, { concurrency: 4, pauseMs: 20, userKeys: true });
  await new Promise((r) => setTimeout(r, 6_000)); // Prometheus' first scrapes

  const good = await releaseAndWait(stack, 'depot', '1.1.0');
  expect({ outcome: good.doc.outcome, reason: good.doc.reason }).toEqual({ outcome: 'succeeded' });
  expect(await versionsServing()).toEqual({ '1.1.0': 40 });
  // Without a p99 no check can pass: each is inconclusive, and "no p99 latency" must be
  // its only reason. Had the requests been too few, or the error rate over the limit,
  // the summary would say so (or the verdict would be fail); so the requests and the
  // error rate were judged and passed. The canary went to 100 % because its soak ended
  // before inconclusiveLimit (5) checks in a row, not because a check passed.
  const goodAnalyses = good.doc.status.rollout.analyses as Analysis[];
  expect(goodAnalyses.length).toBeGreaterThanOrEqual(2);
  for (const analysis of goodAnalyses) {
    expect(analysis).toMatchObject({ weight: 30, verdict: 'inconclusive', summary: expect.stringMatching(/^no p99 latency for [\d.]+ requests$/) });
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
  expect(measured).toEqual({ kind: 'value', requests: expect.any(Number), errors: 0, errorRate: 0, latencyMs: {} });

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
});
