import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createEnvironmentActivities } from '../../src/activities/environments';
import { createChangeCalendarActivities } from '../../src/activities/change-calendar';
import { auditSinks } from '../../src/worker/audit-sinks';
import { testAuditSink, testAuditStore } from '../support/audit-collector';
import { createAuditActivities } from '../../src/activities/audit';
import { createLockActivities } from '../../src/activities/locks';
import { createPlacementActivities, workerHost } from '../../src/activities/placement';
import { releaseResult } from '../../src/client/release-client';
import { environmentQuery, environmentWorkflowId } from '../../src/shared/environment';
import { lockStateQuery } from '../../src/shared/messages';
import { WORKER_TUNING } from '../../src/worker/tuning';
import { releaseWorkflow } from '../../src/workflows/release';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery, seedActive, type FakeWorld } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
import { createTimeSkippingEnv, gantryWorkflowBundle, uniqueTaskQueue } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Where a release's activities run when workers have hosts (time-skipping server): the
 * shared queue for admission, turns and placement; the queue of the host that checked
 * out for the build, tests, artifact and smoke tests; the queue of the environment's
 * host for its runtime. A host whose worker is gone is named in the status until it is back.
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

interface Call {
  activity: string;
  queue: string;
}

/** The same activities, each noting the task queue it was called on. */
function notingQueues<T extends object>(activities: T, calls: Call[]): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        calls.push({ activity: name, queue: Context.current().info.taskQueue });
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as T;
}

/**
 * A shared-queue worker whose host is `claims` (placements it takes claim that host), the
 * checkout made by host `checkout`, and a worker for each host in `serving`.
 */
async function hostsStack(world: FakeWorld, calls: Call[], options: { claims: string; checkout: string; serving: string[] }) {
  const taskQueue = uniqueTaskQueue('hosts');
  const queueOf = (host: string) => workerHost(host).queueOf(taskQueue);
  const activities = notingQueues(
    {
      ...world.activities,
      prepareWorkspace: async (request: Parameters<FakeWorld['activities']['prepareWorkspace']>[0]) => ({
        ...(await world.activities.prepareWorkspace(request)),
        host: options.checkout,
        taskQueue: queueOf(options.checkout),
      }),
    },
    calls,
  );
  const locks = createLockActivities(env.client);
  const shared = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await gantryWorkflowBundle(),
    sinks: auditSinks(testAuditSink),
    ...WORKER_TUNING,
    activities: {
      ...activities,
      ...locks,
      ...createEnvironmentActivities(env.client),
      ...createChangeCalendarActivities(env.client),
      ...notingQueues(createPlacementActivities({ client: env.client, host: workerHost(options.claims) }), calls),
      ...createAuditActivities(testAuditStore),
    },
  });
  const hostWorker = (host: string) => Worker.create({ connection: env.nativeConnection, taskQueue: queueOf(host), activities, ...WORKER_TUNING });
  const hosts = await Promise.all(options.serving.map(hostWorker));
  return { taskQueue, queueOf, shared, hosts, hostWorker };
}

/** Waits until nobody holds or waits for a turn on the release's environments, so no work is left on a queue nobody serves. */
async function turnsHandedBack(taskQueue: string, environments: string[]): Promise<void> {
  for (const environment of environments) {
    const handle = env.client.workflow.getHandle(environmentWorkflowId('web', environment, taskQueue));
    for (let i = 0; i < 200; i++) {
      const turns = await handle.query(lockStateQuery).catch(() => undefined);
      if (turns && !turns.holder && turns.queue.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const SHARED = ['admitRelease', 'prepareWorkspace', 'placeEnvironment'];
const ON_CHECKOUT = ['runCommand', 'publishArtifact', 'recordProvenance', 'removeWorkspace'];
const ON_ENVIRONMENT = ['activeInstance', 'startInstance', 'activateInstance', 'stopInstance'];

/** Runs the workers until `fn` is done (and any started later by `fn` with `join`), then stops them. */
async function whileRunning<T>(workers: Worker[], fn: (join: (worker: Worker) => void) => Promise<T>): Promise<T> {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const running = workers.map((worker) => worker.runUntil(finished));
  const work = fn((worker) => running.push(worker.runUntil(finished))).finally(finish);
  const [result] = await Promise.all([work, finished.then(() => Promise.all(running))]);
  return result;
}

test('the build, tests, artifact and smoke tests run on the host that checked out; each environment on the host that claimed it', async () => {
  const world = fakeDelivery();
  // Versions already running, so the deploys also retire one in each environment.
  for (const environment of ['staging', 'production']) seedActive(world, 'web', environment, '3.9.0');
  const calls: Call[] = [];
  const stack = await hostsStack(world, calls, { claims: 'beta', checkout: 'alpha', serving: ['alpha', 'beta'] });
  const result = await whileRunning([stack.shared, ...stack.hosts], async () => {
    const input = releaseInput({ version: '4.0.0', approval: { approvers: [], minApprovals: 0 } });
    const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue: stack.taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
    const ended = await releaseResult(handle);
    await turnsHandedBack(stack.taskQueue, ['staging', 'production']);
    // The entities record where their environments run, for every later release (asked while a worker answers).
    const records = await Promise.all(
      ['staging', 'production'].map((environment) => env.client.workflow.getHandle(environmentWorkflowId('web', environment, stack.taskQueue)).query(environmentQuery)),
    );
    return { ...ended, hostsRecorded: records.map((r) => r.host) };
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.hostsRecorded).toEqual(['beta', 'beta']);
  expect(result.status?.hosts).toEqual({ workspace: 'alpha', environments: { staging: 'beta', production: 'beta' } });

  const queuesOf = (activity: string) => [...new Set(calls.filter((c) => c.activity === activity).map((c) => c.queue))];
  for (const activity of SHARED) expect([activity, queuesOf(activity)]).toEqual([activity, [stack.taskQueue]]);
  for (const activity of ON_CHECKOUT) expect([activity, queuesOf(activity)]).toEqual([activity, [stack.queueOf('alpha')]]);
  for (const activity of ON_ENVIRONMENT) expect([activity, queuesOf(activity)]).toEqual([activity, [stack.queueOf('beta')]]);
  // The smoke tests were among the commands run on alpha, against instances on beta.
  expect(world.commands.map((c) => c.label)).toEqual(expect.arrayContaining(['smoke (staging)', 'smoke (production)']));
});

test('a host whose worker is gone is named in the status, with since when and what to do, until its worker is back; then the release carries on', async () => {
  const world = fakeDelivery();
  const calls: Call[] = [];
  // Staging is claimed for gamma, whose worker is not running.
  const stack = await hostsStack(world, calls, { claims: 'gamma', checkout: 'alpha', serving: ['alpha'] });
  const result = await whileRunning([stack.shared, ...stack.hosts], async (join) => {
    const input = releaseInput({ version: '4.1.0', approval: { approvers: [], minApprovals: 0 } });
    const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue: stack.taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
    await awaitStatus(handle, (s) => s.stage === 'staging');
    await env.sleep('30 seconds'); // past the 20 s a host's worker has to pick up a task
    const waiting = await awaitStatus(handle, (s) => s.waitingFor?.startsWith('host gamma') === true);
    expect(waiting.waitingFor).toMatch(
      new RegExp(
        `^host gamma is not answering since \\S+ \\(nobody polls ${stack.queueOf('gamma').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) while activeInstance waits for it: ` +
          "start its worker again \\(gantry worker with GANTRY_WORKER_HOST=gamma and that machine's GANTRY_HOME\\)",
      ),
    );
    expect(calls.filter((c) => c.queue === stack.queueOf('gamma'))).toEqual([]);

    join(await stack.hostWorker('gamma'));
    const ended = await releaseResult(handle);
    await turnsHandedBack(stack.taskQueue, ['staging', 'production']);
    return ended;
  });
  expect(result.outcome).toBe('succeeded');
  expect(result.status?.waitingFor).toBeUndefined();
  expect(result.status?.hosts?.environments).toEqual({ staging: 'gamma', production: 'gamma' });
  expect(world.active.get('web/staging')?.artifact.version).toBe('4.1.0');
  expect([...new Set(calls.filter((c) => ON_ENVIRONMENT.includes(c.activity)).map((c) => c.queue))]).toEqual([stack.queueOf('gamma')]);
});
