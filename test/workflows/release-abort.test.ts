import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { abortSignal, abortUpdate, statusQuery } from '../../src/shared/messages';
import { releaseWorkflow } from '../../src/workflows/release';
import { instanceIdFor } from '../../src/policy/environment-restore';
import { fakeDelivery, seedActive, type FakeWorld } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
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

describe('aborting a release (time-skipping server)', () => {
  test('abort while staging deploys: the start is cancelled and staging is left as it was', async () => {
    const world = fakeDelivery({ hangStartIn: ['staging'] });
    const previous = seedActive(world, 'web', 'staging', '2.0.0');
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: '2.1.0' });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      expect(await world.startBegan).toBe('staging');
      await expect(handle.executeUpdate(abortUpdate, { args: [{ by: 'dave', reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
      const answer = await handle.executeUpdate(abortUpdate, { args: [{ by: 'dave', reason: 'wrong branch' }] });
      expect(answer.message).toBe('aborted by dave: wrong branch; every environment it touched is as it was before');

      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      expect(result.reason).toBe('aborted by dave: wrong branch');
      const staging = result.status?.timeline.find((t) => t.stage === 'staging');
      expect(staging?.result).toBe('cancelled');
      expect(world.active.get('web/staging')?.id).toBe(previous.id);
      expect(world.stopped).toEqual([`staging/${instanceIdFor('2.1.0', `sha256:${'ab'.repeat(32)}`)}`]);
    });
  });

  test('abort by signal while waiting for approval restores staging; an abort without reason is ignored', async () => {
    const world = fakeDelivery();
    const previous = seedActive(world, 'web', 'staging', '2.0.0');
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: '2.2.0' });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      for (let i = 0; i < 200 && (await handle.query(statusQuery)).stage !== 'approval'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(world.active.get('web/staging')?.artifact.version).toBe('2.2.0');

      await handle.signal(abortSignal, { by: 'erin', reason: ' ' });
      expect((await handle.query(statusQuery)).ignored).toEqual([expect.objectContaining({ message: 'abort', by: 'erin', reason: expect.stringMatching(/needs a reason/) })]);
      await handle.signal(abortSignal, { by: 'erin', reason: 'incident in progress' });

      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      expect(world.active.get('web/staging')?.id).toBe(previous.id);
      expect(result.status?.environments.staging?.version).toBe('2.0.0');
      expect(world.active.get('web/production')).toBeUndefined();
    });
  });
});
