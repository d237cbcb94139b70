import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import YAML from 'yaml';
import { readRouterRecord, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { exampleServiceAs, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { startLoad, type Load } from '../support/load';
import { startProber, type Prober } from '../support/prober';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus';
import { releaseAndWait, versionsServing } from '../support/traffic';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * The canary judged by a real Prometheus scraping the real router's /metrics, through
 * the Prometheus metrics provider's PromQL.
 */
let stack: E2EStack;
let prometheus: RunningPrometheus | undefined;
let load: Load | undefined;
/** Fails the test on any request that found production dark. */
let prober: Prober | undefined;
beforeAll(async () => {
  stack = await startE2EStack('prometheus', {
    editConfig: exampleServiceAs('mall', {
      strategy: 'canary',
      canary: {
        steps: [{ weight: 30, soak: '12s' }, { weight: 100 }],
        interval: '4s',
        analysis: { minRequests: 5, failureLimit: 2, maxErrorRate: 0.05, latencyToleranceMs: 100, inconclusiveLimit: 5 },
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
  await prometheus?.stop();
  await stack?.stop();
  await stopAllRouters(path.join(stack.home, 'routers'));
});

// Three releases with canary soaks, each storing its record before every environment: more than jest's default 2 minutes on a loaded machine.
test('Prometheus, scraping the router, lets a good canary through and rolls a bad one back', async () => {
  const first = await releaseAndWait(stack, 'mall', '1.0.0');
  expect({ outcome: first.doc.outcome, reason: first.doc.reason }).toEqual({ outcome: 'succeeded' });
  const record = await readRouterRecord(path.join(stack.home, 'routers'), 'mall', 'production');
  prometheus = await startPrometheus({ targets: [new URL(record!.adminUrl).host], bearerTokenFile: record!.adminTokenFile, scrapeIntervalMs: 1000 });
  load = startLoad(record!.publicUrl, { concurrency: 4, pauseMs: 20, userKeys: true });
  prober = startProber(record!.publicUrl);

  // From now on the catalogue names Prometheus as the metrics source.
  const doc = YAML.parse(readFileSync(stack.configFile, 'utf8'));
  doc.services.mall.environments.production.metrics = { kind: 'prometheus', url: prometheus.url };
  writeFileSync(stack.configFile, YAML.stringify(doc));
  // Prometheus takes its first scrape a few seconds after it starts.
  await new Promise((r) => setTimeout(r, 6_000));

  const good = await releaseAndWait(stack, 'mall', '1.1.0');
  expect({ outcome: good.doc.outcome, reason: good.doc.reason }).toEqual({ outcome: 'succeeded' });
  expect(good.doc.status.rollout.analyses.filter((a: { verdict: string }) => a.verdict === 'pass').length).toBeGreaterThanOrEqual(2);
  // The rollout was judged by Prometheus: its input names it as the metrics source.
  const history = await stack.client.workflow.getHandle('rollout/mall/production/1.1.0').fetchHistory();
  const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0].data!;
  expect(JSON.parse(Buffer.from(payload).toString('utf8')).metrics).toEqual({ kind: 'prometheus', url: prometheus.url, queries: {} });

  const bad = await releaseAndWait(stack, 'mall', '1.2.0-bad');
  expect(bad.doc.outcome).toBe('rolled_back');
  expect(bad.doc.reason).toMatch(/canary at 30 %: 2 failed checks in a row \(limit 2\): .*error rate/);
  expect(await versionsServing(record!.publicUrl)).toEqual({ '1.1.0': 60 });
}, 300_000);
