import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startDevServer, type DevServer } from '../../src/dev/dev-server';
import { canaryPlan } from '../../src/policy/rollout-plan';
import type { ReleaseStatus } from '../../src/shared/release';
import { pollUntil, spawnCounts, startCrashStack, type CrashStack } from '../support/crash-stack';
import { exampleServiceAs, temporalCli } from '../support/e2e-stack';
import { startLoad, type Load } from '../support/load';
import { startProber, type Prober } from '../support/prober';
import { releaseAndWait, versionsServing } from '../support/traffic';

/**
 * The Temporal server itself dies: a dev server of this test's own, keeping its state in
 * a SQLite file, is SIGKILLed while a canary soaks and started again on the same file
 * and port. The worker process (`gantry worker`) and the CLI stay up and reconnect; the
 * release must go on to `succeeded` with every planned analysis made.
 */

const CANARY = {
  steps: [{ weight: 10, soak: '6s' }, { weight: 50, soak: '6s' }, { weight: 100 }],
  interval: '2s',
  analysis: { minRequests: 3, maxErrorRate: 0.05, latencyToleranceMs: 200, failureLimit: 2, inconclusiveLimit: 5 },
};
const PLAN = canaryPlan({ steps: [{ weight: 10, soak: 6_000 }, { weight: 50, soak: 6_000 }, { weight: 100 }], interval: 2_000 }).filter((step) => step.checks > 0);

let server: DevServer | undefined;
let stack: CrashStack | undefined;
let load: Load | undefined;
/** Instances and routers are their own processes: production serves while the server is down. */
let prober: Prober | undefined;

afterAll(async () => {
  await prober?.stop();
  await load?.stop();
  await stack?.stop();
  await server?.stop();
}, 60_000);

test('a dev server SIGKILLed mid-soak and restarted on its database: the canary goes on to succeeded with every planned check', async () => {
  const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'gantry-server-crash-')), 'temporal.db');
  const [port, uiPort] = [await freePort(), await freePort()];
  const serverOptions = { cliPath: temporalCli(), port, uiPort, dbFile };
  server = await startDevServer(serverOptions);
  stack = await startCrashStack('server', { address: server.address, editConfig: exampleServiceAs('crashy-srv', { strategy: 'canary', router: { kind: 'embedded' }, canary: CANARY }) });
  const worker = await stack.startWorker();

  const first = await releaseAndWait(stack, 'crashy-srv', '1.0.0');
  expect({ outcome: first.doc?.outcome, reason: first.doc?.reason }).toEqual({ outcome: 'succeeded' });
  const routerUrl: string = first.doc.status.rollout.routerUrl;
  load = startLoad(routerUrl, { concurrency: 3, pauseMs: 20, userKeys: true, maxMs: 300_000 });
  prober = startProber(routerUrl);

  // Started without --wait: the CLI's own long poll would not outlive the server.
  const start = await stack.gantry(['release', 'start', '--service', 'crashy-srv', '--version', '1.1.0', '--commit', stack.commit, '--author', 'alice', '--json']);
  expect({ code: start.code, stderr: start.stderr }).toEqual({ code: 0, stderr: '' });
  const s = stack;
  const atKill = await pollUntil(
    'the canary to soak at 10 % with one check made',
    async () => {
      const status = await s.status('crashy-srv', '1.1.0');
      return status?.rollout?.phase === 'progressing' && status.rollout.step === 0 && status.rollout.soak?.done === 1 ? status : undefined;
    },
    { everyMs: 50, timeoutMs: 150_000 },
  );

  const running = server;
  const gone = new Promise<void>((resolve) => running.process.once('exit', () => resolve()));
  running.process.kill('SIGKILL');
  await gone;
  // Down for a second; not a wait for anything to happen.
  await sleep(1_000);
  const restartedAt = Date.now();
  server = await startDevServer(serverOptions);
  const answeringAt = Date.now();

  const key = (status: ReleaseStatus) => JSON.stringify([status.stage, status.rollout?.revision, status.timeline.length, status.outcome]);
  const movedAt = await pollUntil(
    'the release to move again after the server restarted',
    async () => {
      const status = await s.status('crashy-srv', '1.1.0', 2_000);
      return status && key(status) !== key(atKill) ? Date.now() : undefined;
    },
    { everyMs: 100, timeoutMs: 120_000 },
  );
  console.log(
    `dev server SIGKILLed and restarted on ${path.basename(dbFile)}: listening ${answeringAt - restartedAt} ms after its start, ` +
      `release moving again ${movedAt - restartedAt} ms after its start (reported, not asserted)`,
  );

  const ended = await pollUntil(
    'the release to end',
    async () => {
      const status = await s.status('crashy-srv', '1.1.0');
      return status?.outcome ? status : undefined;
    },
    { everyMs: 500, timeoutMs: 150_000 },
  );
  // The worker process lived through the outage: it reconnected rather than exiting.
  expect(worker.child.exitCode).toBeNull();
  expect(worker.child.signalCode).toBeNull();

  // The same answer from the command line people use.
  const cli = await stack.gantry(['release', 'status', 'crashy-srv', '1.1.0', '--json']);
  expect(cli.code).toBe(0);
  const status: ReleaseStatus = JSON.parse(cli.stdout);
  expect({ outcome: status.outcome, reason: status.reason }).toEqual({ outcome: 'succeeded', reason: undefined });
  expect(ended.outcome).toBe('succeeded');
  expect(status.rollout?.phase).toBe('promoted');
  // Every planned check of each step passed (a failed or inconclusive one is made again, so there may be more analyses).
  const analyses = status.rollout?.analyses ?? [];
  expect(PLAN.map((step) => analyses.filter((a) => a.weight === step.weight && a.verdict === 'pass').length)).toEqual(PLAN.map((step) => step.checks));
  expect(Object.values(spawnCounts(stack.home, 'crashy-srv', '1.1.0'))).toEqual([1, 1]);
  expect(prober.dark).toEqual([]);
  expect(await versionsServing(routerUrl, 30)).toEqual({ '1.1.0': 30 });
}, 300_000);
