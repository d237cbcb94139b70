import { Runtime, DefaultLogger } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { releaseWorkflow } from '../../src/workflows/release';
import { sharedServerAddress } from '../support/e2e-stack';
import { healthy } from '../support/fake-progressive';
import { releaseInput } from '../support/release-input';
import { rolloutScenario, waitForStatus } from '../support/rollout-scenario';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// Real time on the shared dev server: the time-skipping server does not move its clock
// while a workflow task waits for a worker, so it cannot show what an outage does.
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: sharedServerAddress() });
});
afterAll(async () => {
  await env?.teardown();
});

describe('soak integrity (dev server, real time)', () => {
  test('time without a worker does not count as soak: every planned check runs, and the status says the soak was extended', async () => {
    const { service, within } = rolloutScenario(env, `outage-${Date.now().toString(36)}`, '1.0.0', () => healthy());
    const input = releaseInput({
      service,
      version: '3.1.0',
      approval: { approvers: [], minApprovals: 0 },
      production: { strategy: 'canary', canary: { steps: [{ weight: 5, soak: '6s' }, { weight: 100 }], interval: '2s', analysis: {} } },
    });
    const workflowId = `release/${service}/${input.version}`;
    const taskQueue = await within(async (queue) => {
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue: queue, workflowId, args: [input] });
      await waitForStatus(handle, (s) => (s.rollout?.soak?.done ?? 0) >= 1);
      return queue;
    }, { awaitLocks: false });
    // No worker for longer than the rest of the soak (two more 2 s checks).
    await new Promise((r) => setTimeout(r, 7_000));
    await within(async () => {
      const result = await releaseResult(env.client.workflow.getHandle(workflowId));
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.rollout?.analyses.filter((a) => a.weight === 5)).toHaveLength(3);
      expect(result.status?.rollout?.soak).toMatchObject({ planned: 3, done: 3, extended: expect.stringMatching(/^soak extended: the check due at .* ran \d+ s late \(no worker was running\)/) });
    }, { taskQueue });
  });
});
