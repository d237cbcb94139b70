import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { decisionsQuery } from '../../src/shared/decision-events';
import { environmentQuery } from '../../src/shared/environment';
import { releaseWorkflow } from '../../src/workflows/release';
import { fakeDelivery } from '../support/fake-delivery';
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


test('an environment entity terminated by hand while a release waits for its turn is started again by the waiting release, which goes on', async () => {
  const world = fakeDelivery({ holdStartIn: ['staging'] });
  await withReleaseWorker(env, world, async (taskQueue) => {
    const none = { approvers: [], minApprovals: 0 };
    const first = releaseInput({ service: 'entity-web', version: '1.0.0', approval: none });
    const second = releaseInput({ service: 'entity-web', version: '1.1.0', approval: none });
    const a = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/entity-web/${first.version}`, args: [first] });
    await world.startBegan;
    const b = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/entity-web/${second.version}`, args: [second] });
    await awaitStatus(b, (s) => /its turn to deploy to staging: release\/entity-web\/1\.0\.0 is deploying there/.test(s.waitingFor ?? ''));

    const entity = env.client.workflow.getHandle(`environment/entity-web/staging@${taskQueue}`);
    await entity.terminate('an operator cleaning up');
    world.letHeldFinish();

    const firstResult = await releaseResult(a);
    expect(firstResult.reason).toBeUndefined();
    expect(firstResult.outcome).toBe('succeeded');
    const result = await releaseResult(b);
    expect(result.outcome).toBe('succeeded');
    // The new entity knows what runs there now: the waiting release's version.
    const record = await env.client.workflow.getHandle(`environment/entity-web/staging@${taskQueue}`).query(environmentQuery);
    expect(record.current).toMatchObject({ version: '1.1.0', release: 'release/entity-web/1.1.0' });
  });
});

test("an environment records each turn and deploy as a numbered decision: whose turn it was, who waited, what was deployed", async () => {
  const world = fakeDelivery({ holdStartIn: ['staging'] });
  await withReleaseWorker(env, world, async (taskQueue) => {
    const none = { approvers: [], minApprovals: 0 };
    const first = releaseInput({ service: 'turns-web', version: '1.0.0', approval: none, environments: { staging: {} } });
    const second = releaseInput({ service: 'turns-web', version: '1.1.0', approval: none, environments: { staging: {} } });
    const a = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/turns-web/${first.version}`, args: [first] });
    await world.startBegan;
    const b = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/turns-web/${second.version}`, args: [second] });
    await awaitStatus(b, (s) => /its turn to deploy to staging: release\/turns-web\/1\.0\.0 is deploying there/.test(s.waitingFor ?? ''));
    world.letHeldFinish();
    expect((await releaseResult(a)).outcome).toBe('succeeded');
    expect((await releaseResult(b)).outcome).toBe('succeeded');

    const events = await env.client.workflow.getHandle(`environment/turns-web/staging@${taskQueue}`).query(decisionsQuery);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const said = events.map((e) => `${e.kind} ${'request' in e ? e.request.workflowId : 'version' in e ? e.version : 'host' in e ? '(its host)' : ''}`);
    expect(said).toEqual([
      'turn_requested release/turns-web/1.0.0',
      'turn_granted release/turns-web/1.0.0',
      'placed (its host)',
      'turn_requested release/turns-web/1.1.0',
      'deployed 1.0.0',
      'turn_returned release/turns-web/1.0.0',
      'turn_granted release/turns-web/1.1.0',
      'deployed 1.1.0',
      'turn_returned release/turns-web/1.1.0',
    ]);
  });
});
