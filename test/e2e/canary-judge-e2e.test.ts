import { Runtime, DefaultLogger } from '@temporalio/worker';
import path from 'node:path';
import { stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { exampleServiceAs, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { startLoad, type Load } from '../support/load';
import { startProber, type Prober } from '../support/prober';
import { releaseAndWait, versionsServing } from '../support/traffic';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * The statistical judge end to end: real builds and processes, the embedded router, real
 * HTTP traffic. A good canary is judged Pass against stable with the figures behind it in
 * its status; a canary failing 30 % of its requests at 5 % of the traffic is rolled back
 * by the early stop seconds after its first error, long before its 30-second check.
 */
let stack: E2EStack;
let load: Load | undefined;
let prober: Prober | undefined;

beforeAll(async () => {
  stack = await startE2EStack('judge', {
    editConfig: exampleServiceAs('quill', {
      strategy: 'canary',
      canary: {
        steps: [{ weight: 5, soak: '30s' }, { weight: 100 }],
        interval: '30s',
        analysis: {
          judge: {
            // A 1 ms service's latency doubles whenever a 2-core CI machine is busy: only a
            // real regression (the -slow build's +400 ms) should count as one here.
            latency: { toleranceMs: 100 },
            errors: { minRequests: 50 },
          },
        },
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

const release = (version: string) => releaseAndWait(stack, 'quill', version);

test('a good canary passes the judge with its figures in the status; a 30 %-error canary and a slow one are stopped early, before their first check', async () => {
  const first = await release('1.0.0');
  expect({ outcome: first.doc.outcome, reason: first.doc.reason }).toEqual({ outcome: 'succeeded' });
  const routerUrl: string = first.doc.status.rollout.routerUrl;

  load = startLoad(routerUrl, { concurrency: 4, pauseMs: 10, userKeys: true, maxMs: 300_000 });
  prober = startProber(routerUrl);

  const good = await release('1.1.0');
  expect({ outcome: good.doc.outcome, reason: good.doc.reason }).toEqual({ outcome: 'succeeded' });
  const judged = good.doc.status.rollout.analyses;
  expect(judged.length).toBeGreaterThanOrEqual(1);
  expect(judged[0]).toMatchObject({ verdict: 'pass', judged: { verdict: 'pass', score: 100 } });
  expect(judged[0].summary).toMatch(/^pass: score 100 \(pass ≥ 90, marginal ≥ 60\)/);
  // Every verdict explains itself: the proportions behind the errors, the rank test, shift and tail behind latency.
  expect(judged[0].figures).toEqual([
    expect.stringMatching(/^errors \(critical\): no meaningful difference: 0\/\d+ \(0 %\) vs 0\/\d+ \(0 %\)/),
    expect.stringMatching(/^latency: .*shift .* CI .*Mann-Whitney p = .*p99 .* samples$/),
  ]);
  const status = await stack.gantry(['release', 'status', 'quill', '1.1.0']);
  expect(status.stdout).toMatch(/at 5 %: pass: score 100 \(pass ≥ 90, marginal ≥ 60\)/);
  expect(status.stdout).toMatch(/errors \(critical\): no meaningful difference/);

  load.reset();
  const bad = await release('1.2.0-bad');
  expect(bad.doc.outcome).toBe('rolled_back');
  expect(bad.doc.reason).toMatch(/^canary at 5 %: early stop: the canary's errors are conclusively above stable's \(evidence \d/);
  const stop = bad.doc.status.rollout.analyses.at(-1);
  expect(stop.figures[1]).toMatch(/^canary \d+\/\d+ errors \(\d+(\.\d+)? %\) vs stable 0\/\d+ \(0 %\)/);
  // No interval check was made: the stop came between checks.
  expect(bad.doc.status.rollout.analyses).toHaveLength(1);
  expect(await versionsServing(routerUrl)).toEqual({ '1.1.0': 60 });

  // 400 ms slower on every request, no error: the slow requests stop it.
  const slow = await release('1.3.0-slow');
  expect(slow.doc.outcome).toBe('rolled_back');
  expect(slow.doc.reason).toMatch(/^canary at 5 %: early stop: the canary's requests slower than \d+(\.\d+)? ms are conclusively above stable's \(evidence \d/);
  expect(slow.doc.status.rollout.analyses).toHaveLength(1);
  expect(slow.doc.status.rollout.analyses[0].figures[1]).toMatch(/^canary (\d+)\/\1 slow requests \(100 %\) vs stable \d+\/\d+ .*; slow: over \d+(\.\d+)? ms$/);
  expect(await versionsServing(routerUrl)).toEqual({ '1.1.0': 60 });
}, 300_000);
