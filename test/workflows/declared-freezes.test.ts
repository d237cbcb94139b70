import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { declareFreeze, endFreeze, readCalendar } from '../../src/client/change-calendar-client';
import { releaseResult } from '../../src/client/release-client';
import type { Recorded, RolloutEvent } from '../../src/shared/decision-events';
import { rolloutWorkflowId } from '../../src/shared/rollout';
import { GantryHold } from '../../src/shared/search-attributes';
import { releaseWorkflow } from '../../src/workflows/release';
import { CollectingAuditSink } from '../support/audit-collector';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery } from '../support/fake-delivery';
import { healthy } from '../support/fake-progressive';
import { releaseInput } from '../support/release-input';
import { rolloutScenario, waitForStatus } from '../support/rollout-scenario';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// Each test has its own server and task queue, so its own change calendar.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const none = { approvers: [], minApprovals: 0 };

describe('freezes declared now, in the change calendar (time-skipping server)', () => {
  test('a freeze declared for production holds a release before production, whatever its risk and with no change policy, until it is ended', async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      const declared = await declareFreeze(env.client, taskQueue, { by: 'carol', reason: 'payments incident', environments: ['production'] });
      expect(declared).toEqual({ freeze: expect.objectContaining({ id: 'F1', by: 'carol', reason: 'payments incident', environments: ['production'] }), overlaps: [] });

      const input = releaseInput({ version: '1.0.0', risk: 'low', approval: none });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const held = await awaitStatus(handle, (s) => s.hold !== undefined);
      expect(held.hold).toMatchObject({ environment: 'production', untilLocal: 'the freeze is ended (gantry freeze end)', reasons: ['change freeze F1 declared by carol (payments incident) until it is ended'] });
      expect(held.hold?.until).toBeUndefined();
      expect(Object.keys(held.environments)).toEqual(['staging']);
      expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBe('freeze');

      // Time passes (a day), the freeze holds; then it is ended and the release goes on at once.
      await env.sleep('1 day');
      expect((await awaitStatus(handle, () => true)).hold).toBeDefined();
      const ended = await endFreeze(env.client, taskQueue, { id: 'F1', by: 'carol', reason: 'fixed' });
      expect(ended.ended).toMatchObject({ by: 'carol', reason: 'fixed' });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.environments.production?.version).toBe('1.0.0');
      expect(await readCalendar(env.client, taskQueue)).toMatchObject({ active: [], ended: [expect.objectContaining({ id: 'F1' })] });
    });
  });

  test('a freeze declared mid-canary holds it at its weight; the ramp resumes when the freeze is ended', async () => {
    const audit = new CollectingAuditSink();
    const { service, within } = rolloutScenario(env, 'incident', '1.0.0', () => healthy());
    await within(
      async (taskQueue) => {
        const input = releaseInput({
          service,
          version: '2.0.0',
          approval: none,
          production: { strategy: 'canary', canary: { steps: [{ weight: 10, soak: '20m' }, { weight: 50, soak: '20m' }, { weight: 100 }], interval: '5m' } },
        });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
        await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing' && s.rollout.weights.canary === 10);
        await declareFreeze(env.client, taskQueue, { by: 'dave', reason: 'database failover', services: [service] });
        // The first step's soak runs out (queries do not move the server's clock; a sleep does).
        await env.sleep('25 minutes');
        const held = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
        expect(held.rollout).toMatchObject({ weights: { canary: 10, stable: 90 }, pausedBecause: expect.stringMatching(/^change freeze F1 declared by dave \(database failover\) until it is ended; the canary holds 10 % until then$/) });
        await env.sleep('3 hours');
        expect((await waitForStatus(handle, () => true)).rollout?.weights.canary).toBe(10);
        const endedAt = await env.currentTimeMs();
        await endFreeze(env.client, taskQueue, { id: 'F1', by: 'dave' });
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');
        const traffic = (audit.of(rolloutWorkflowId(service, 'production', '2.0.0')) as Recorded<RolloutEvent>[]).flatMap((e) => (e.kind === 'traffic' ? [{ weight: e.weights.canary, at: Date.parse(e.at) }] : []));
        expect(traffic.map((t) => t.weight)).toEqual([10, 50, 100]);
        expect(traffic[1].at).toBeGreaterThanOrEqual(endedAt);
      },
      { audit },
    );
  });

  test('a freeze with --until lifts by itself; overlapping freezes are allowed and said', async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      const now = await env.currentTimeMs();
      const until = new Date(now + 2 * 3_600_000).toISOString();
      await declareFreeze(env.client, taskQueue, { by: 'erin', reason: 'release train paused', until });
      const second = await declareFreeze(env.client, taskQueue, { by: 'frank', reason: 'checkout incident', services: ['web'], environments: ['production'], until });
      expect(second.overlaps.map((f) => f.id)).toEqual(['F1']);
      const input = releaseInput({ version: '3.0.0', approval: none });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const held = await awaitStatus(handle, (s) => s.hold !== undefined);
      expect(held.hold).toMatchObject({ environment: 'staging', until });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(Date.parse(result.status!.timeline.find((t) => t.stage === 'staging')!.startedAt)).toBeGreaterThanOrEqual(Date.parse(until));
      expect((await readCalendar(env.client, taskQueue)).ended.map((f) => [f.id, f.ended?.by])).toEqual([
        ['F1', 'the calendar'],
        ['F2', 'the calendar'],
      ]);
    });
  });

  test('bad declarations are refused with the reason and change nothing', async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      const past = new Date((await env.currentTimeMs()) - 60_000).toISOString();
      await expect(declareFreeze(env.client, taskQueue, { by: 'carol', reason: 'x', until: past })).rejects.toThrow(WorkflowUpdateFailedError);
      await expect(declareFreeze(env.client, taskQueue, { by: 'carol', reason: '  ' })).rejects.toMatchObject({ cause: { message: expect.stringMatching(/--reason is required/) } });
      await expect(endFreeze(env.client, taskQueue, { id: 'F9', by: 'carol' })).rejects.toMatchObject({ cause: { message: 'no freeze F9 is in force' } });
      expect(await readCalendar(env.client, taskQueue)).toEqual({ active: [], ended: [], quarantined: [], lifted: [] });
    });
  });
});
