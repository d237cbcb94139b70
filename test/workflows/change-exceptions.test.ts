import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { declareFreeze, endFreeze } from '../../src/client/change-calendar-client';
import { releaseResult } from '../../src/client/release-client';
import type { Recorded, ReleaseEvent, RolloutEvent } from '../../src/shared/decision-events';
import { approveEmergencyUpdate, overrideUpdate } from '../../src/shared/messages';
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
/** alice writes the fixes and is an emergency approver too: she still cannot approve her own. */
const roles = { processOwners: ['dana'], emergencyApprovers: ['alice', 'erin'] };
const emergency = { reason: 'checkout returns 500 for every card payment', ticket: 'INC-4711' };

const approveEmergency = (handle: WorkflowHandle, by: string, reason: string) => handle.executeUpdate(approveEmergencyUpdate, { args: [{ by, reason }] });
const override = (handle: WorkflowHandle, by: string, reason: string) => handle.executeUpdate(overrideUpdate, { args: [{ by, reason }] });
const refusal = (message: string | RegExp) => ({ cause: { message: typeof message === 'string' ? message : expect.stringMatching(message) } });

describe('exceptions to change management (time-skipping server)', () => {
  test('an emergency passes a freeze only once an emergency approver who is not its author approves it with a reason', async () => {
    const audit = new CollectingAuditSink();
    const world = fakeDelivery();
    await withReleaseWorker(
      env,
      world,
      async (taskQueue) => {
        await declareFreeze(env.client, taskQueue, { by: 'carol', reason: 'Black Friday', environments: ['production'] });
        const input = releaseInput({ version: '1.0.1', approval: none, roles, emergency });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
        const held = await awaitStatus(handle, (s) => s.hold !== undefined);
        expect(held.emergency).toEqual(emergency);
        expect(held.hold?.reasons).toEqual([
          'change freeze F1 declared by carol (Black Friday) until it is ended',
          'an emergency release (INC-4711): it passes once an emergency approver approves it (gantry release approve-emergency web 1.0.1 --as <approver> --reason …)',
        ]);

        await expect(approveEmergency(handle, 'bob', 'looks right')).rejects.toMatchObject(refusal('bob is not an emergency approver (emergency approvers: alice, erin)'));
        await expect(approveEmergency(handle, 'alice', 'my own fix')).rejects.toMatchObject(refusal(/^alice is the author of this release and cannot approve its emergency/));
        await expect(approveEmergency(handle, 'erin', '  ')).rejects.toMatchObject(refusal(/needs a reason/));
        // A day passes: refusals changed nothing, the freeze still holds.
        await env.sleep('1 day');
        expect((await awaitStatus(handle, () => true)).hold?.environment).toBe('production');
        expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBe('freeze');

        const answer = await approveEmergency(handle, 'erin', 'card payments are down, the fix is one line');
        expect(answer.message).toBe('emergency of web 1.0.1 (INC-4711) approved by erin: it passes deploy windows, holidays and freezes');
        await expect(approveEmergency(handle, 'alice', 'again')).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');
        expect(result.status?.environments.production?.version).toBe('1.0.1');
        expect(result.status?.emergency?.approval).toMatchObject({ by: 'erin', reason: 'card payments are down, the fix is one line' });
        expect(result.status?.exceptions).toEqual([
          expect.objectContaining({ exception: 'emergency', by: 'erin', ticket: 'INC-4711', environment: 'production', passed: ['change freeze F1 declared by carol (Black Friday) until it is ended'] }),
        ]);
        expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBeUndefined();

        // Every refusal reached the audit (a refused update leaves no history), and the pass is one event.
        const events = audit.of(handle.workflowId) as Recorded<ReleaseEvent>[];
        const refused = events.flatMap((e) => (e.kind === 'message' && e.message === 'approve_emergency' && e.result === 'refused' ? [e.by] : []));
        expect(refused).toEqual(['bob', 'alice', 'erin', 'alice']);
        expect(events.filter((e) => e.kind === 'change_excepted')).toHaveLength(1);
      },
      undefined,
      { audit },
    );
  });

  test("a process owner's override passes the one gate holding the release, with a reason; the next gate holds it again", async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      await declareFreeze(env.client, taskQueue, { by: 'carol', reason: 'database migration window' });
      const input = releaseInput({ version: '1.1.0', approval: none, roles });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      await awaitStatus(handle, (s) => s.hold?.environment === 'staging');

      await expect(override(handle, 'erin', 'staging is harmless')).rejects.toMatchObject(refusal('erin is not a process owner (process owners: dana)'));
      await expect(override(handle, 'dana', '')).rejects.toMatchObject(refusal(/^an override needs a reason/));
      // Not an emergency release: no emergency approval can pass it.
      await expect(approveEmergency(handle, 'erin', 'urgent')).rejects.toMatchObject(refusal(/was not started as an emergency/));

      expect((await override(handle, 'dana', 'staging carries no customer traffic')).message).toBe(
        'override by dana: web 1.1.0 passes the gate before staging (change freeze F1 declared by carol (database migration window) until it is ended)',
      );
      const atProduction = await awaitStatus(handle, (s) => s.hold?.environment === 'production');
      expect(atProduction.environments.staging?.version).toBe('1.1.0');
      expect(atProduction.exceptions).toEqual([expect.objectContaining({ exception: 'override', by: 'dana', environment: 'staging', reason: 'staging carries no customer traffic' })]);

      await endFreeze(env.client, taskQueue, { id: 'F1', by: 'carol' });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.exceptions).toHaveLength(1);

      // A release waiting for its approvers is not held by a gate: an override has nothing to pass.
      const waiting = releaseInput({ version: '1.1.1', approval: { approvers: ['alice', 'bob'], minApprovals: 1, timeout: '1d' }, roles });
      const other = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${waiting.version}`, args: [waiting] });
      await awaitStatus(other, (s) => s.stage === 'approval');
      await expect(override(other, 'dana', 'skip the approval')).rejects.toMatchObject(refusal(/^nothing to override: no deploy window, holiday or freeze holds the release now/));
      await other.terminate('end of test');
    });
  });

  test('an emergency release that a refusing policy would turn away waits for its approver instead', async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      // Blocked every day but a minute: a normal release is refused at once.
      const changePolicy = { blockedWindows: [{ from: 'mon 00:00', to: 'sun 23:59' }], risks: ['low', 'medium', 'high'], whenBlocked: 'refuse' };
      const environments = { staging: {}, production: { changePolicy } };
      const normal = releaseInput({ version: '2.0.0', approval: none, roles, environments });
      const refused = await releaseResult(await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${normal.version}`, args: [normal] }));
      expect(refused).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/this policy refuses blocked releases/) });

      const input = releaseInput({ version: '2.0.1', approval: none, roles, environments, emergency });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const held = await awaitStatus(handle, (s) => s.hold !== undefined);
      expect(held.hold).toMatchObject({ environment: 'production', untilLocal: 'an emergency approver approves it' });
      await approveEmergency(handle, 'erin', 'payments down');
      expect((await releaseResult(handle)).outcome).toBe('succeeded');
    });
  });

  test("a freeze holding a canary: an override passes one step, an emergency's approval every step", async () => {
    const audit = new CollectingAuditSink();
    const { service, within } = rolloutScenario(env, 'exception', '1.0.0', () => healthy());
    await within(
      async (taskQueue) => {
        const steps = [{ weight: 10, soak: '20m' }, { weight: 30, soak: '20m' }, { weight: 60, soak: '20m' }, { weight: 100 }];
        const input = releaseInput({ service, version: '2.0.0', approval: none, roles, emergency, production: { strategy: 'canary', canary: { steps, interval: '5m' } } });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
        await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing' && s.rollout.weights.canary === 10);
        await declareFreeze(env.client, taskQueue, { by: 'dave', reason: 'database failover', services: [service] });
        await env.sleep('25 minutes');
        await waitForStatus(handle, (s) => s.rollout?.changeGate !== undefined && s.rollout.weights.canary === 10);

        await expect(override(handle, 'erin', 'go')).rejects.toMatchObject(refusal(/^erin is not a process owner/));
        await override(handle, 'dana', 'the failover does not touch this service');
        await waitForStatus(handle, (s) => s.rollout?.weights.canary === 30);
        await env.sleep('25 minutes');
        const heldAgain = await waitForStatus(handle, (s) => s.rollout?.changeGate !== undefined && s.rollout.weights.canary === 30);
        expect(heldAgain.rollout?.exceptions).toEqual([expect.objectContaining({ exception: 'override', by: 'dana', weight: 10 })]);

        await approveEmergency(handle, 'erin', 'the fix must reach every customer today');
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');
        const rollout = audit.of(rolloutWorkflowId(service, 'production', '2.0.0')) as Recorded<RolloutEvent>[];
        expect(rollout.flatMap((e) => (e.kind === 'change_excepted' ? [[e.exception, e.by, e.weight]] : []))).toEqual([
          ['override', 'dana', 10],
          ['emergency', 'erin', 30],
          ['emergency', 'erin', 60],
        ]);
        expect(rollout.flatMap((e) => (e.kind === 'traffic' ? [e.weights.canary] : []))).toEqual([10, 30, 60, 100]);
      },
      { audit },
    );
  });
});
