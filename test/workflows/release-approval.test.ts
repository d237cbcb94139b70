import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { admissionUpdate, approveSignal, approveUpdate, rejectUpdate, statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { releaseWorkflow } from '../../src/workflows/release';
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

/** Polls the status query (queries do not advance time) until the release reaches a stage. */
async function waitForStage(handle: { query: (q: typeof statusQuery) => Promise<ReleaseStatus> }, stage: string): Promise<ReleaseStatus> {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(statusQuery);
    if (status.stage === stage || status.outcome) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`release never reached ${stage}`);
}

let seq = 0;
const nextVersion = () => `1.4.${++seq}`;

describe('release workflow decisions (time-skipping server)', () => {
  test('goes through every stage and ships after an approver approves through an update', async () => {
    const world = fakeDelivery();
    const previous = seedActive(world, 'web', 'production', '1.3.0');
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion() });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const waiting = await waitForStage(handle, 'approval');
      expect(waiting.waitingFor).toMatch(/1 more approval from bob, carol/);
      expect(waiting.environments.staging?.version).toBe(input.version);

      const answer = await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'looks good' }] });
      expect(answer).toMatchObject({ accepted: true, approvals: 1, approvalsRequired: 1 });

      const result = await handle.result();
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.timeline.map((t) => t.stage)).toEqual(['admission', 'build', 'test', 'artifact', 'staging', 'approval', 'production', 'done']);
      // The platform's definition, its catalogue and the resolved commit are the release's record.
      expect(result.status?.definition?.approval).toMatchObject({ approvers: ['alice', 'bob', 'carol'], minApprovals: 1 });
      expect(result.status?.catalogue?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(result.status?.source).toMatchObject({ requested: input.commit, commit: input.commit });
      expect(result.status?.provenance?.subject[0].digest.sha256).toBe(result.status?.artifact?.digest.replace('sha256:', ''));
      const workspace = `${handle.workflowId}/${(await handle.describe()).runId}`;
      expect(world.commands.every((c) => c.cwd === `/nonexistent/workspaces/${workspace}/.`)).toBe(true);
      expect(world.removedWorkspaces).toEqual([workspace]);
      expect(result.status?.approvals).toEqual([expect.objectContaining({ by: 'bob', comment: 'looks good', via: 'update' })]);
      expect(world.commands.map((c) => c.label)).toEqual(['build', 'unit tests', 'integration tests', 'lint', 'smoke (staging)', 'smoke (production)']);
      expect(world.commands[0].env).toMatchObject({ GANTRY_VERSION: input.version });
      expect(world.active.get('web/production')?.artifact.version).toBe(input.version);
      expect(world.stopped).toContain(`production/${previous.id}`);
    });
  });

  test('the admission update answers with the commit and catalogue the platform admitted', async () => {
    const world = fakeDelivery();
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion(), approval: { approvers: [], minApprovals: 0 } });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const answer = await handle.executeUpdate(admissionUpdate);
      expect(answer).toMatchObject({ admitted: true, service: 'web', version: input.version, commit: input.commit, catalogueDigest: `sha256:${'ee'.repeat(32)}` });
      expect((await handle.result()).outcome).toBe('succeeded');
    });
  });

  test('a release the platform does not admit ends refused before anything is built, and the admission update says why', async () => {
    const world = fakeDelivery();
    await withWorker(world, async (taskQueue) => {
      const input = { service: 'unknown', version: nextVersion(), commit: 'abcdef1', author: 'alice' };
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/unknown/${input.version}`, args: [input] });
      const refusal = await handle.executeUpdate(admissionUpdate).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refusal as WorkflowUpdateFailedError).cause?.message).toMatch(/refused: the test catalogue does not declare unknown/);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('refused');
      expect(result.status?.timeline.map((t) => [t.stage, t.result])).toEqual([['admission', 'failed']]);
      expect(world.commands).toEqual([]);
      expect(world.removedWorkspaces).toEqual([]);
    });
  });

  test('an approval timeout of a day expires the release without waiting a day', async () => {
    const world = fakeDelivery();
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion() });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const before = await env.currentTimeMs();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('expired');
      expect(result.reason).toMatch(/no decision within the approval timeout \(0 of 1 approvals/);
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(86_400_000);
      // An expired release leaves staging as it was: empty.
      expect(world.active.get('web/staging')).toBeUndefined();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    });
  });

  test('a rejection ends the release and puts staging back to the previous version', async () => {
    const world = fakeDelivery();
    const previous = seedActive(world, 'web', 'staging', '1.3.0');
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion() });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      await waitForStage(handle, 'approval');
      await expect(handle.executeUpdate(rejectUpdate, { args: [{ by: 'carol', reason: '' }] })).rejects.toThrow(WorkflowUpdateFailedError);
      await handle.executeUpdate(rejectUpdate, { args: [{ by: 'carol', reason: 'breaks the checkout flow' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rejected');
      expect(result.reason).toBe('rejected by carol: breaks the checkout flow');
      expect(world.active.get('web/staging')?.id).toBe(previous.id);
      expect(world.active.get('web/production')).toBeUndefined();
    });
  });

  test('the author cannot approve their own release: the update is refused with the reason', async () => {
    const world = fakeDelivery();
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion(), author: 'bob' });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      await waitForStage(handle, 'approval');
      const refusal = await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] }).catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refusal as WorkflowUpdateFailedError).cause?.message).toMatch(/bob is the author of this release and cannot approve it/);
      const unknown = await handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] }).catch((err: unknown) => err);
      expect((unknown as WorkflowUpdateFailedError).cause?.message).toMatch(/mallory is not an approver/);
      const status = await handle.query(statusQuery);
      expect(status.approvals).toEqual([]);
      expect(status.stage).toBe('approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      expect((await handle.result()).outcome).toBe('succeeded');
    });
  });

  test('an unauthorised approval by signal is ignored and recorded; a valid one by signal counts', async () => {
    const world = fakeDelivery();
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion(), approval: { approvers: ['bob', 'carol'], minApprovals: 2, timeout: '2h' } });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      await waitForStage(handle, 'approval');
      await handle.signal(approveSignal, { by: 'mallory' });
      await handle.signal(approveSignal, { by: 'bob' });
      await handle.signal(approveSignal, { by: 'bob' });
      let status = await handle.query(statusQuery);
      expect(status.ignored).toEqual([
        expect.objectContaining({ message: 'approve', by: 'mallory', reason: expect.stringMatching(/not an approver/) }),
        expect.objectContaining({ message: 'approve', by: 'bob', reason: expect.stringMatching(/already approved/) }),
      ]);
      expect(status.approvals.map((a) => a.by)).toEqual(['bob']);
      expect(status.stage).toBe('approval');
      await handle.signal(approveSignal, { by: 'carol' });
      const result = await handle.result();
      expect(result.outcome).toBe('succeeded');
      status = result.status!;
      expect(status.approvals.map((a) => [a.by, a.via])).toEqual([['bob', 'signal'], ['carol', 'signal']]);
    });
  });

  test('a failing test command fails the release with its exit code and stops before staging', async () => {
    const world = fakeDelivery({ failingCommands: ['unit tests'] });
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion() });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('failed');
      expect(result.reason).toMatch(/^test failed: unit tests failed: `make unit` exited with code 3/);
      expect(world.commands.map((c) => c.label)).toEqual(['build', 'unit tests']);
      expect(world.running.size).toBe(0);
    });
  });

  test('a production deploy that fails its smoke test leaves the previous version serving', async () => {
    const world = fakeDelivery({ failingCommands: ['smoke (production)'] });
    const previous = seedActive(world, 'web', 'production', '1.3.0');
    await withWorker(world, async (taskQueue) => {
      const input = releaseInput({ version: nextVersion(), approval: { approvers: [], minApprovals: 0 } });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('failed');
      expect(result.reason).toMatch(/^production failed: smoke \(production\) failed/);
      expect(world.active.get('web/production')?.id).toBe(previous.id);
      expect([...world.running.values()].filter((i) => i.environment === 'production').map((i) => i.id)).toEqual([previous.id]);
      expect(result.status?.timeline.find((t) => t.stage === 'approval')?.note).toBe('no approval required');
    });
  });
});

