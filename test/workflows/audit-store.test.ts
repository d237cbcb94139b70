import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import type { AuditStore } from '../../src/providers/audit/audit-store';
import { PostgresDatabase } from '../../src/providers/audit/postgres-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import { decisionsQuery } from '../../src/shared/decision-events';
import { approveUpdate, statusQuery } from '../../src/shared/messages';
import { releaseWorkflow } from '../../src/workflows/release';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery } from '../support/fake-delivery';
import { type RunningPostgres, startPostgres } from '../support/postgres';
import { releaseInput } from '../support/release-input';
import { healthy } from '../support/fake-progressive';
import { rolloutScenario, waitForStatus } from '../support/rollout-scenario';
import { rolloutWorkflowId } from '../../src/shared/rollout';
import { renderStatus } from '../../src/cli/render-status';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Releases whose decisions go to a real PostgreSQL (started for this file), on the
 * time-skipping server: every event reaches the store once, and a store that goes down
 * holds the release (which says so) until it is back, with nothing lost or doubled.
 */
let env: TestWorkflowEnvironment;
let postgres: RunningPostgres;
beforeAll(async () => {
  [env, postgres] = await Promise.all([createTimeSkippingEnv(), startPostgres()]);
});
afterAll(async () => {
  await env?.teardown();
  await postgres?.stop();
});

/** What the store holds of one workflow: its events' numbers, in chain order. */
async function storedSeqs(store: AuditStore, release: string, workflowId = release): Promise<number[]> {
  return (await store.forRelease(release)).filter((e) => e.event.workflowId === workflowId).map((e) => e.event.seq);
}

describe('the audit store (time-skipping server, real PostgreSQL)', () => {
  test('every decision of a release reaches the store exactly once, in order, with the refused update beside them', async () => {
    const store = new SqlAuditStore(new PostgresDatabase(await postgres.createDatabase()));
    try {
      await withReleaseWorker(
        env,
        fakeDelivery(),
        async (taskQueue) => {
          const input = releaseInput({ version: '7.0.0' });
          const workflowId = `release/web/${input.version}`;
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [input] });
          await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
          await expect(handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] })).rejects.toThrow(WorkflowUpdateFailedError);
          await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
          expect((await releaseResult(handle)).outcome).toBe('succeeded');

          const recorded = await handle.query(decisionsQuery);
          const entries = await store.forRelease(workflowId);
          const own = entries.filter((e) => e.event.workflowId === workflowId);
          // Exactly the recorded events, each once, in their order; the refusal unnumbered.
          expect(own.filter((e) => e.event.seq > 0).map((e) => [e.event.seq, e.event.kind])).toEqual(recorded.map((e) => [e.seq, e.kind]));
          expect(own.filter((e) => e.event.seq === 0).map((e) => e.event)).toEqual([expect.objectContaining({ kind: 'message', by: 'mallory', result: 'refused' })]);
          expect(own[own.length - 1].event).toMatchObject({ kind: 'finished', outcome: 'succeeded' });
          expect(own.every((e) => e.workflowType === 'releaseWorkflow' && e.runId === handle.firstExecutionRunId)).toBe(true);
          // The environments' turns and deploys for this release are in its trail too.
          expect(entries.some((e) => e.event.workflowId.startsWith('environment/web/production') && e.event.kind === 'deployed')).toBe(true);
          expect(await store.verify()).toMatchObject({ intact: true });
        },
        undefined,
        { auditStore: store },
      );
    } finally {
      await store.close();
    }
  });

  test('the store down holds the release before its next environment, saying why; back, it goes on with no gap and no duplicate', async () => {
    const store = new SqlAuditStore(new PostgresDatabase(await postgres.createDatabase(), { connectTimeoutMs: 1_000 }));
    try {
      await withReleaseWorker(
        env,
        fakeDelivery(),
        async (taskQueue) => {
          const input = releaseInput({ version: '7.1.0' });
          const workflowId = `release/web/${input.version}`;
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [input] });
          await awaitStatus(handle, (s) => s.stage === 'approval' && s.waitingFor !== undefined);
          await postgres.pause();

          await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
          let status = await handle.query(statusQuery);
          for (let i = 0; i < 60 && !/audit store/.test(status.waitingFor ?? ''); i += 1) {
            await env.sleep('5 seconds');
            status = await handle.query(statusQuery);
          }
          expect(status.waitingFor).toMatch(/^the audit store to take \d+ decisions?: it has refused them since .+ \(.+\); check it with gantry doctor$/);
          // The approval is recorded, but production is not entered ahead of its record.
          expect(status.approvals.map((a) => a.by)).toEqual(['bob']);
          expect(status.stage).toBe('approval');
          await env.sleep('2 minutes');
          expect((await handle.query(statusQuery)).stage).toBe('approval');

          await postgres.resume();
          const result = await releaseResult(handle);
          expect(result.outcome).toBe('succeeded');
          expect(result.status?.waitingFor).toBeUndefined();

          const recorded = await handle.query(decisionsQuery);
          expect(await storedSeqs(store, workflowId)).toEqual(recorded.map((e) => e.seq));
          expect(recorded.map((e) => e.seq)).toEqual(recorded.map((_, i) => i + 1));
          expect(await store.verify()).toMatchObject({ intact: true });
        },
        undefined,
        { auditStore: store },
      );
    } finally {
      await store.close();
    }
  });

  test('a rollout whose record the store does not take waits before it ends, and says so in its status and the release\'s', async () => {
    const store = new SqlAuditStore(new PostgresDatabase(await postgres.createDatabase(), { connectTimeoutMs: 1_000 }));
    const { service, within } = rolloutScenario(env, 'audited', '1.0.0', () => healthy());
    try {
      await within(
        async (taskQueue) => {
          const input = releaseInput({
            service,
            version: '2.0.0',
            approval: { approvers: [], minApprovals: 0 },
            production: { strategy: 'canary', canary: { steps: [{ weight: 10, soak: '20m' }, { weight: 100 }], interval: '5m' } },
          });
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
          await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing' && s.rollout.weights.canary === 10);
          await postgres.pause();

          let status = await handle.query(statusQuery);
          for (let i = 0; i < 80 && !status.rollout?.waitingForAuditStore; i += 1) {
            await env.sleep('1 minute');
            status = await handle.query(statusQuery);
          }
          expect(status.rollout).toMatchObject({
            weights: { canary: 100, stable: 0 },
            waitingForAuditStore: expect.stringMatching(/^the audit store to take \d+ decisions?: it has refused them since .+; check it with gantry doctor$/),
          });
          expect(status.outcome).toBeUndefined();
          expect(renderStatus(status)).toMatch(/\n {4}waiting for the audit store to take \d+ decisions?: /);

          await postgres.resume();
          const result = await releaseResult(handle);
          expect(result.outcome).toBe('succeeded');
          expect(result.status?.rollout?.waitingForAuditStore).toBeUndefined();
          const rolloutId = rolloutWorkflowId(service, 'production', '2.0.0');
          const stored = (await store.forRelease(`release/${service}/2.0.0`)).filter((e) => e.event.workflowId === rolloutId).map((e) => e.event.seq);
          expect(stored).toEqual(stored.map((_, i) => i + 1));
          expect(await store.verify()).toMatchObject({ intact: true });
        },
        { auditStore: store },
      );
    } finally {
      await store.close();
    }
  });
});
