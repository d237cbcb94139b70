import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import type { Recorded, ReleaseEvent } from '../../src/shared/decision-events';
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
});
