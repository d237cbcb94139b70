import { Runtime, DefaultLogger } from '@temporalio/worker';
import { type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import type { Recorded, ReleaseEvent } from '../../src/shared/decision-events';
import { abortUpdate, approveUpdate } from '../../src/shared/messages';
import { releaseWorkflow } from '../../src/workflows/release';
import { CollectingAuditSink } from '../support/audit-collector';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery } from '../support/fake-delivery';
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

const groups = { payments: ['carol', 'dave'], sre: ['erin', 'frank'], 'web-team': ['alice', 'bob', 'ci-bot'] };
const roles = { practitioners: ['group:web-team'], processOwners: ['dana'] };
const approve = (handle: WorkflowHandle, by: string, extra: { comment?: string; ticket?: string } = {}) => handle.executeUpdate(approveUpdate, { args: [{ by, ...extra }] });
const refusal = (message: string | RegExp) => ({ cause: { message: typeof message === 'string' ? message : expect.stringMatching(message) } });
let seq = 0;
const nextVersion = () => `3.0.${++seq}`;

describe('roles and approval policies (time-skipping server)', () => {
  test('2 of [bob, group:payments] with payments required: the author and the starter are refused, bob alone is not enough, carol completes it', async () => {
    const audit = new CollectingAuditSink();
    await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        const input = releaseInput({
          version: nextVersion(),
          startedBy: 'ci-bot',
          groups,
          roles,
          approval: { approvers: ['alice', 'bob', 'ci-bot', 'group:payments'], minApprovals: 2, requiredGroups: ['payments'], require: { ticket: true }, timeout: '1d' },
        });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
        const waiting = await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
        expect(waiting.approvers).toEqual(['alice', 'bob', 'ci-bot', 'carol', 'dave']);
        expect(waiting.startedBy).toBe('ci-bot');
        expect(waiting.waitingFor).toMatch(/^2 more approvals, one from each of payments from bob, carol, dave \(until /);

        await expect(approve(handle, 'alice', { ticket: 'CHG-1' })).rejects.toMatchObject(refusal(/^alice is the author of this release/));
        await expect(approve(handle, 'ci-bot', { ticket: 'CHG-1' })).rejects.toMatchObject(refusal('ci-bot started this release and cannot approve it; ask another approver'));
        await expect(approve(handle, 'bob')).rejects.toMatchObject(refusal(/requires a change ticket/));
        await expect(approve(handle, 'erin', { ticket: 'CHG-1' })).rejects.toMatchObject(refusal(/^erin is not an approver of this service/));

        await approve(handle, 'bob', { ticket: 'CHG-1' });
        const one = await awaitStatus(handle, (s) => s.approvals.length === 1);
        expect(one.waitingFor).toMatch(/^1 more approval, one from each of payments from /);
        await approve(handle, 'carol', { ticket: 'CHG-1', comment: 'payments checked' });
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');
        expect(result.status?.approvals.map((a) => [a.by, a.ticket])).toEqual([
          ['bob', 'CHG-1'],
          ['carol', 'CHG-1'],
        ]);
        const refused = (audit.of(handle.workflowId) as Recorded<ReleaseEvent>[]).flatMap((e) => (e.kind === 'message' && e.result === 'refused' ? [e.by] : []));
        expect(refused).toEqual(['alice', 'ci-bot', 'bob', 'erin']);
      },
      undefined,
      { audit },
    );
  });

  test('on timeout the approval escalates to another group with a new deadline; with no decision then, it expires', async () => {
    await withReleaseWorker(env, fakeDelivery(), async (taskQueue) => {
      const approval = { approvers: ['bob'], minApprovals: 1, timeout: '1h', onTimeout: { escalateTo: ['group:sre'], timeout: '2h' } };
      const input = releaseInput({ version: nextVersion(), groups, roles, approval });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const opened = await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
      await expect(approve(handle, 'erin')).rejects.toMatchObject(refusal(/^erin is not an approver of this service \(approvers: bob\)$/));

      await env.sleep('61 minutes');
      const escalated = await awaitStatus(handle, (s) => s.escalatedTo !== undefined);
      expect(escalated.escalatedTo).toEqual(['group:sre']);
      expect(escalated.approvers).toEqual(['bob', 'erin', 'frank']);
      expect(Date.parse(escalated.approvalDeadline!) - Date.parse(opened.approvalDeadline!)).toBeGreaterThanOrEqual(2 * 3_600_000);
      await approve(handle, 'erin', { comment: 'on call, bob is away' });
      expect((await releaseResult(handle)).outcome).toBe('succeeded');

      const ignored = releaseInput({ version: nextVersion(), groups, roles, approval });
      const expiring = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${ignored.version}`, args: [ignored] });
      await awaitStatus(expiring, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
      await env.sleep('61 minutes');
      await awaitStatus(expiring, (s) => s.escalatedTo !== undefined);
      await env.sleep('121 minutes');
      expect(await releaseResult(expiring)).toMatchObject({ outcome: 'expired', reason: expect.stringMatching(/no decision within the approval timeout/) });
    });
  });

  test('only practitioners and process owners start and steer: a stranger is refused at admission, and cannot abort', async () => {
    const audit = new CollectingAuditSink();
    await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        const stranger = releaseInput({ version: nextVersion(), startedBy: 'mallory', groups, roles });
        const refused = await releaseResult(await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${stranger.version}`, args: [stranger] }));
        expect(refused).toMatchObject({
          outcome: 'refused',
          reason: expect.stringMatching(/mallory may not start releases of web: not a practitioner or process owner \(practitioners: alice, bob, ci-bot; process owners: dana\)/),
        });

        const input = releaseInput({ version: nextVersion(), startedBy: 'ci-bot', groups, roles });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
        await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
        await expect(handle.executeUpdate(abortUpdate, { args: [{ by: 'mallory', reason: 'I can' }] })).rejects.toMatchObject(refusal(/^mallory may not abort a release of web/));
        await handle.executeUpdate(abortUpdate, { args: [{ by: 'dana', reason: 'wrong build' }] });
        expect((await releaseResult(handle)).outcome).toBe('aborted');
        const messages = (audit.of(handle.workflowId) as Recorded<ReleaseEvent>[]).flatMap((e) => (e.kind === 'message' && e.message === 'abort' ? [[e.by, e.result]] : []));
        expect(messages).toEqual([
          ['mallory', 'refused'],
          ['dana', 'accepted'],
        ]);
      },
      undefined,
      { audit },
    );
  });
});
