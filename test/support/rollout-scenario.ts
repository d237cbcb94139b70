import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { type FakeDeliveryOptions, fakeDelivery, seedActive } from './fake-delivery';
import { fakeProgressive, type MeasurementScript } from './fake-progressive';
import { withReleaseWorker } from './time-skipping';

let services = 0;

/**
 * One rollout test's world: its own service (deploy locks are per service environment),
 * a stable version already serving production, scripted measurements, and a worker.
 */
export function rolloutScenario(env: TestWorkflowEnvironment, prefix: string, stableVersion: string, script: MeasurementScript, delivery: FakeDeliveryOptions = {}) {
  const service = `${prefix}-${++services}`;
  const world = fakeDelivery(delivery);
  seedActive(world, service, 'production', stableVersion);
  const progressive = fakeProgressive(script);
  return {
    service,
    world,
    progressive,
    /** Runs `fn` while a worker serves a task queue (options: the queue of a worker to replace, and whether to await deploy locks). */
    within: <T>(fn: (taskQueue: string) => Promise<T>, options?: Parameters<typeof withReleaseWorker>[4]) => withReleaseWorker(env, world, fn, progressive, options),
  };
}

/** Polls the release's status (queries do not advance time) until `ready` says so. */
export async function waitForStatus(handle: { query: (q: typeof statusQuery) => Promise<ReleaseStatus> }, ready: (s: ReleaseStatus) => boolean): Promise<ReleaseStatus> {
  for (let i = 0; i < 400; i++) {
    const status = await handle.query(statusQuery);
    if (ready(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the release never reached the expected state');
}
