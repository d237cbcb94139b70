import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import { eventually, exampleServiceAs, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { startLoad, type Load } from '../support/load';
import { startProber, type Prober } from '../support/prober';
import { releaseAndWait, versionsServing } from '../support/traffic';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** Blue/green end to end: real processes behind the embedded router, real traffic. */
let stack: E2EStack;
let load: Load | undefined;
/** Fails a test on any request that found production dark (no route, or a stopped version behind it). */
let prober: Prober | undefined;
beforeAll(async () => {
  stack = await startE2EStack('bluegreen', {
    editConfig: exampleServiceAs('store', {
      strategy: 'blueGreen',
      blueGreen: {
        keepBlueFor: '8s',
        interval: '2s',
        previewRequests: 30,
        analysis: { minRequests: 5, failureLimit: 2, maxErrorRate: 0.05, latencyToleranceMs: 100 },
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
  await stopAllRouters(path.join(stack.home, 'routers'));
});

const release = (version: string) => releaseAndWait(stack, 'store', version);

test('green replaces blue in one switch; a green that goes bad after the switch is switched back; a bad green never gets public traffic', async () => {
  const first = await release('1.0.0');
  expect({ outcome: first.doc.outcome, reason: first.doc.reason }).toEqual({ outcome: 'succeeded' });
  const routerUrl: string = first.doc.status.rollout.routerUrl;
  load = startLoad(routerUrl, { concurrency: 3, pauseMs: 20 });
  prober = startProber(routerUrl);

  // A good green: verified on preview traffic, switched, blue kept for a while, then retired.
  const workflowId = releaseWorkflowId('store', '1.1.0');
  const good = release('1.1.0');
  const keeping = await eventually('the switch to green', async () => {
    const status = await stack.client.workflow.getHandle(workflowId).query(statusQuery).catch(() => undefined);
    return status?.rollout?.phase === 'keeping_blue' ? status : undefined;
  });
  expect(keeping.rollout?.weights).toEqual({ stable: 0, canary: 100 });
  expect(await versionsServing(routerUrl, 40)).toEqual({ '1.1.0': 40 });
  const goodResult = await good;
  expect({ outcome: goodResult.doc.outcome, reason: goodResult.doc.reason }).toEqual({ outcome: 'succeeded' });
  expect(goodResult.doc.status.rollout.analyses[0].summary).toMatch(/^preview: /);

  // A green that passes its preview and fails once it takes all traffic: switched back.
  const late = await release('1.2.0-latebad');
  expect(late.code).toBe(1);
  expect(late.doc.outcome).toBe('rolled_back');
  expect(late.doc.reason).toMatch(/green failed after the switch: .*error rate/);
  expect(await versionsServing(routerUrl, 40)).toEqual({ '1.1.0': 40 });

  // A green that is bad from the start fails its preview and never serves the public.
  load.reset();
  const bad = await release('1.3.0-bad');
  expect(bad.doc.outcome).toBe('rolled_back');
  expect(bad.doc.reason).toMatch(/green failed its preview analysis/);
  expect(load.counts.get('1.3.0-bad')).toBeUndefined();
  expect(await versionsServing(routerUrl, 40)).toEqual({ '1.1.0': 40 });
});
