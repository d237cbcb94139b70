import { Runtime, DefaultLogger } from '@temporalio/worker';
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
 */
let stack: E2EStack;
let haproxy: RunningHaproxy;
let prometheus: RunningPrometheus;
let load: Load | undefined;
beforeAll(async () => {
  haproxy = await startHaproxy({ prometheusExporter: true });
  prometheus = await startPrometheus({ targets: [haproxy.metricsHost!], scrapeIntervalMs: 1000 });
  const server = `proxy="${haproxy.backend}",server="{{role}}"`;
  stack = await startE2EStack('haproxy', {
    editConfig: exampleServiceAs('depot', {
      strategy: 'canary',
      router: { kind: 'haproxy', socket: haproxy.socket, backend: haproxy.backend, url: haproxy.url },
      metrics: {
        kind: 'prometheus',
        url: prometheus.url,
        queries: {
          requests: `sum(increase(haproxy_server_http_responses_total{${server}}[{{window}}]))`,
          errors: `sum(increase(haproxy_server_http_responses_total{${server},code="5xx"}[{{window}}]))`,
          // HAProxy 2.6 exports an average response time per server, not a histogram.
          latencyP99Ms: `1000 * max(haproxy_server_response_time_average_seconds{${server}})`,
        },
      },
      canary: {
        steps: [{ weight: 30, soak: '12s' }, { weight: 100 }],
        interval: '4s',
        analysis: { minRequests: 5, failureLimit: 2, maxErrorRate: 0.05, latencyToleranceMs: 100, inconclusiveLimit: 5 },
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
  expect(good.doc.status.rollout.analyses.filter((a: { verdict: string }) => a.verdict === 'pass').length).toBeGreaterThanOrEqual(2);
  expect(await versionsServing()).toEqual({ '1.1.0': 40 });

  const bad = await releaseAndWait(stack, 'depot', '1.2.0-bad');
  expect(bad.doc.outcome).toBe('rolled_back');
  expect(bad.doc.reason).toMatch(/canary at 30 %: 2 failed checks in a row \(limit 2\): .*error rate/);
  expect(await versionsServing()).toEqual({ '1.1.0': 40 });
  // HAProxy was driven live over its runtime API: no reload, the same process throughout.
  expect(Number((await new HaproxyRuntimeApi(haproxy.socket).info()).Pid)).toBe(haproxy.pid);
});
