import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import type { Recorded, ReleaseEvent } from '../../src/shared/decision-events';
import { environmentQuery, environmentWorkflowId } from '../../src/shared/environment';
import { GantryHold } from '../../src/shared/search-attributes';
import { releaseWorkflow } from '../../src/workflows/release';
import { CollectingAuditSink } from '../support/audit-collector';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// A fresh server per test: each has its own clock, change calendar and environment entities.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const none = { approvers: [], minApprovals: 0 };
const HOUR = 3_600_000;
const startedAt = (status: { timeline: { stage: string; startedAt: string }[] }, stage: string) => Date.parse(status.timeline.find((t) => t.stage === stage)?.startedAt ?? 'NaN');

describe('guards on what may progress (time-skipping server)', () => {
  test('a soak precondition holds production until the version has run in staging for the set time, then it deploys by itself', async () => {
    const audit = new CollectingAuditSink();
    await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        const input = releaseInput({ version: '1.0.0', approval: none, environments: { staging: {}, production: { soakInPrevious: '2h' } } });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
        const held = await awaitStatus(handle, (s) => s.hold !== undefined);
        expect(held.hold).toMatchObject({
          environment: 'production',
          reasons: [expect.stringMatching(/^1\.0\.0 must run in staging for 2h before it enters production \(soakInPrevious\); it has run there since /)],
        });
        expect(held.waitingFor).toMatch(/; it may deploy from \w{3} \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
        expect(Object.keys(held.environments)).toEqual(['staging']);
        expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBe('soak');

        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');
        const events = audit.of(handle.workflowId) as Recorded<ReleaseEvent>[];
        const stagingDeployedAt = Date.parse(events.find((e) => e.kind === 'deployed' && e.environment === 'staging')!.at);
        const waited = startedAt(result.status!, 'production') - stagingDeployedAt;
        expect(waited).toBeGreaterThanOrEqual(2 * HOUR);
        expect(waited).toBeLessThan(2 * HOUR + 60_000);
        expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['change_held', 'change_allowed']));
        expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBeUndefined();
      },
      undefined,
      { audit },
    );
  });

  test('an older version is refused where a newer one runs, and passes as an explicit rollback with its reason recorded', async () => {
    const audit = new CollectingAuditSink();
    await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        // Each release is followed by queries until it ends, which do not move the clock. Awaiting
        // a result would: with nothing else to do, the test server skips to its next deadline, the
        // 10-year run timeout it gives the environment entities, which would then start again empty.
        const release = async (input: ReturnType<typeof releaseInput>) => {
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
          return awaitStatus(handle, (s) => s.outcome !== undefined);
        };
        const running = async (environment: string) => (await env.client.workflow.getHandle(environmentWorkflowId('web', environment, taskQueue)).query(environmentQuery)).current?.version;

        expect((await release(releaseInput({ version: '1.4.2', approval: none }))).outcome).toBe('succeeded');

        const older = await release(releaseInput({ version: '1.4.1', approval: none }));
        expect(older.outcome).toBe('refused');
        expect(older.reason).toBe('1.4.1 is older than 1.4.2, which runs in staging; start it with --rollback --reason … to roll back');
        expect(older.environments).toEqual({});
        expect(await running('staging')).toBe('1.4.2');
        const refusedEvents = audit.of('release/web/1.4.1') as Recorded<ReleaseEvent>[];
        expect(refusedEvents[refusedEvents.length - 1]).toMatchObject({ kind: 'finished', outcome: 'refused', reason: older.reason });

        // A pre-release of a newer version is newer still: it passes without a rollback.
        expect((await release(releaseInput({ version: '1.5.0-rc.1', approval: none }))).outcome).toBe('succeeded');

        const rollback = await release(releaseInput({ version: '1.4.1', approval: none, rollback: { reason: '1.5.0-rc.1 corrupts carts' } }));
        expect(rollback.outcome).toBe('succeeded');
        expect(rollback.rollback).toEqual({
          reason: '1.5.0-rc.1 corrupts carts',
          replaced: [
            { environment: 'staging', version: '1.5.0-rc.1' },
            { environment: 'production', version: '1.5.0-rc.1' },
          ],
        });
        expect(await running('production')).toBe('1.4.1');
        const rollbackEvents = (audit.of('release/web/1.4.1') as Recorded<ReleaseEvent>[]).filter((e) => e.kind === 'rollback_allowed');
        expect(rollbackEvents).toEqual([
          expect.objectContaining({ environment: 'staging', replaces: '1.5.0-rc.1', reason: '1.5.0-rc.1 corrupts carts' }),
          expect.objectContaining({ environment: 'production', replaces: '1.5.0-rc.1', reason: '1.5.0-rc.1 corrupts carts' }),
        ]);
      },
      undefined,
      { audit },
    );
  });
});
