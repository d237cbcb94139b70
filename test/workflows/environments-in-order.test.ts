import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { abortUpdate, approveUpdate } from '../../src/shared/messages';
import { releaseWorkflow } from '../../src/workflows/release';
import { fakeDelivery, seedActive, type FakeWorld } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
import { awaitStatus } from '../support/await-status';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const withWorker = <T>(world: FakeWorld, fn: (taskQueue: string) => Promise<T>) => withReleaseWorker(env, world, fn);
const THREE = { staging: {}, 'production-eu': {}, 'production-us': {} };


describe('a service with three environments (time-skipping server)', () => {
  test('is promoted through them in the catalogue order, with the approval in front of the second', async () => {
    const world = fakeDelivery();
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: '3.0.0', environments: THREE });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const waiting = await awaitStatus(handle, (s) => s.stage === 'approval');
      expect(Object.keys(waiting.environments)).toEqual(['staging']);
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.timeline.map((t) => t.stage)).toEqual(['admission', 'build', 'test', 'artifact', 'staging', 'approval', 'production-eu', 'production-us', 'done']);
      expect(world.commands.filter((c) => c.label.startsWith('smoke')).map((c) => c.label)).toEqual(['smoke (staging)', 'smoke (production-eu)', 'smoke (production-us)']);
      for (const environment of Object.keys(THREE)) expect(world.active.get(`web/${environment}`)?.artifact.version).toBe('3.0.0');
      expect(Object.keys(result.status?.environments ?? {})).toEqual(['staging', 'production-eu', 'production-us']);
    });
  });

  test('a failure in the second stops the release there: the third is never touched, the first two are put back', async () => {
    const world = fakeDelivery({ failingCommands: ['smoke (production-eu)'] });
    const before = Object.fromEntries(Object.keys(THREE).map((environment) => [environment, seedActive(world, 'web', environment, '2.9.0')]));
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: '3.1.0', environments: THREE, approval: { approvers: [], minApprovals: 0 } });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('failed');
      expect(result.reason).toMatch(/production-eu failed: smoke \(production-eu\) failed/);
      expect(result.status?.timeline.map((t) => t.stage)).not.toContain('production-us');
      expect(world.commands.map((c) => c.label)).not.toContain('smoke (production-us)');
      for (const environment of Object.keys(THREE)) expect(world.active.get(`web/${environment}`)?.id).toBe(before[environment].id);
    });
  });

  test('an abort while the third deploys puts all three back, the last one first', async () => {
    const world = fakeDelivery({ hangStartIn: ['production-us'] });
    const before = Object.fromEntries(Object.keys(THREE).map((environment) => [environment, seedActive(world, 'web', environment, '2.9.0')]));
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: '3.2.0', environments: THREE, approval: { approvers: [], minApprovals: 0 } });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      // Steered once the start there runs (the time-skipping server mishandles a cancel of an activity not yet started).
      for (let i = 0; i < 400 && !world.startsBegun.includes('production-us'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(world.active.get('web/production-eu')?.artifact.version).toBe('3.2.0');
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'carol', reason: 'incident' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      for (const environment of Object.keys(THREE)) expect(world.active.get(`web/${environment}`)?.id).toBe(before[environment].id);
      expect(Object.fromEntries(Object.entries(result.status?.environments ?? {}).map(([name, d]) => [name, d.version]))).toEqual({
        'production-eu': '2.9.0',
        staging: '2.9.0',
      });
    });
  });
});
