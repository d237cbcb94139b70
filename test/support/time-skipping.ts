import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createEnvironmentActivities } from '../../src/activities/environments';
import { createChangeCalendarActivities } from '../../src/activities/change-calendar';
import { createSignatureActivities } from '../../src/activities/signatures';
import { createLockActivities } from '../../src/activities/locks';
import { createPlacementActivities } from '../../src/activities/placement';
import { lockStateQuery } from '../../src/shared/messages';
import { WORKER_TUNING } from '../../src/worker/tuning';
import type { FakeWorld } from './fake-delivery';
import { fakeProgressive, type FakeProgressive } from './fake-progressive';
import { resolveTestServer } from '../../src/dev/temporal-binaries';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { WORKFLOWS_PATH } from '../../src/worker/worker';
import type { AuditSink } from '../../src/providers/audit/audit-sink';
import { auditSinks } from '../../src/worker/audit-sinks';
import { testAuditSink, testAuditStore } from './audit-collector';
import type { CalendarAuthority } from '../../src/policy/calendar-authority';
import type { AuditStore } from '../../src/providers/audit/audit-store';
import { createAuditActivities } from '../../src/activities/audit';
import { StoreAuditSink } from '../../src/providers/audit/store-audit-sink';

/**
 * A time-skipping test server for workflow tests, with Gantry's search attributes
 * registered (without them every stage change fails its workflow task).
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const server = await resolveTestServer({ log: () => undefined });
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: server.path } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Gantry's workflows, bundled once per test file. */
export function gantryWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const noop = () => undefined;
const quietBundlerLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

let queueCounter = 0;
/** A task queue of its own for every test, so workers of different tests never share work. */
export function uniqueTaskQueue(prefix: string): string {
  queueCounter += 1;
  return `${prefix}-${process.pid}-${queueCounter}-${Date.now().toString(36)}`;
}

/**
 * Runs `fn` while a worker serves Gantry's workflows on a fresh task queue, with the
 * fake delivery activities of `world` and the real lock activities. Before the worker
 * stops it waits for the deploy locks the releases took to be handed back: a lock left
 * with work pending on a queue nobody serves would stop the server from skipping time
 * for every later test in the file.
 */
export async function withReleaseWorker<T>(
  env: TestWorkflowEnvironment,
  world: FakeWorld,
  fn: (taskQueue: string) => Promise<T>,
  progressive: FakeProgressive = fakeProgressive(() => ({ kind: 'noData', reason: 'no rollout in this test' })),
  options: {
    /** A queue an earlier worker served: a test that replaces a worker mid-release passes it. */
    taskQueue?: string;
    /** Wait for deploy locks to be handed back before the worker stops (default); a test that stops a worker mid-release says no. */
    awaitLocks?: boolean;
    /** Where the worker sends recorded decisions (a test that reads the trail passes its own). */
    audit?: AuditSink;
    /** Where the workflows' outboxes store recorded decisions (default: kept in memory). */
    auditStore?: AuditStore;
    /** The catalogue's roles as the change calendar reads them (default: none declared, so anyone may change it). */
    calendarRoles?: CalendarAuthority;
  } = {},
): Promise<T> {
  const taskQueue = options.taskQueue ?? uniqueTaskQueue('release');
  const locks = createLockActivities(env.client);
  const lockIds = new Set<string>();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await gantryWorkflowBundle(),
    sinks: auditSinks(options.audit ?? testAuditSink, options.auditStore ? new StoreAuditSink(options.auditStore) : undefined),
    ...WORKER_TUNING,
    activities: {
      ...world.activities,
      ...progressive.activities,
      ...locks,
      ...createEnvironmentActivities(env.client),
      // One worker and one queue here: every host's work comes on the test's own queue.
      ...createPlacementActivities({ client: env.client, host: { name: 'test-host', queueOf: (shared) => shared } }),
      ...createChangeCalendarActivities(env.client),
      ...createSignatureActivities(),
      ...createAuditActivities(options.auditStore ?? testAuditStore),
      calendarAuthority: async () => options.calendarRoles ?? { catalogue: {}, services: {} },
      requestLock: async (input: Parameters<typeof locks.requestLock>[0]) => {
        const view = await locks.requestLock(input);
        lockIds.add(view.lockId);
        return view;
      },
    },
  });
  return worker.runUntil(async () => {
    const result = await fn(taskQueue);
    if (options.awaitLocks === false) return result;
    for (const lockId of lockIds) {
      for (let i = 0; i < 200; i++) {
        const handle = env.client.workflow.getHandle(lockId);
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') break;
        // An environment entity lives on: what matters is that nobody holds or waits for a turn.
        const turns = await handle.query(lockStateQuery).catch(() => undefined);
        if (turns && !turns.holder && turns.queue.length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return result;
  });
}
