import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { abortSignal, abortUpdate, promoteUpdate, rollbackUpdate, statusQuery } from '../../src/shared/messages';
import { rollbackSignal, rolloutProgressSignal, rolloutStatusQuery, rolloutWorkflowId } from '../../src/shared/rollout';
import { releaseWorkflow } from '../../src/workflows/release';
import { canaryWeights, failing, healthy, noData } from '../support/fake-progressive';
import { releaseInput } from '../support/release-input';
import { rolloutScenario, waitForStatus } from '../support/rollout-scenario';
import { createTimeSkippingEnv } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// A fresh time-skipping server per test, as in the other rollout tests: time is shared.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const STABLE = '1.0.0';
let seq = 0;

/** A canary release of a new version: steps and interval small enough to follow, and no approval. */
async function startCanary(service: string, taskQueue: string, steps: unknown[] = [{ weight: 5, soak: '4m' }, { weight: 100 }]) {
  const input = releaseInput({
    service,
    version: `3.0.${++seq}`,
    approval: { approvers: [], minApprovals: 0 },
    production: { strategy: 'canary', canary: { steps, interval: '1m', analysis: {} } },
  });
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
  return { input, handle, rollout: env.client.workflow.getHandle(rolloutWorkflowId(service, 'production', input.version)) };
}

const refusalOf = async (promise: Promise<unknown>): Promise<string> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause?.message ?? '';
};

describe('a committed promotion always completes (time-skipping server)', () => {
  test('while the old version drains, abort and rollback are refused with the reason; the release succeeds and its status holds no abort', async () => {
    const { service, world, progressive, within } = rolloutScenario(env, 'commit', STABLE, () => healthy(), { holdStopOf: [STABLE] });
    await within(async (taskQueue) => {
      const { input, handle, rollout } = await startCanary(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'ship it', full: true }] });
      await world.stopBegan; // the old version is draining: the promotion is committed
      const committed = await waitForStatus(handle, (s) => s.rollout?.phase === 'promoting');
      expect(committed.rollout?.committedAt).toEqual(expect.any(String));

      expect(await refusalOf(handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'too late?' }] }))).toMatch(
        new RegExp(`^the promotion of ${input.version.replace(/\./g, '\\.')} was committed at .*: the old version is being retired`),
      );
      expect(await refusalOf(handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'too late?' }] }))).toMatch(/was committed at/);
      // Sent straight to the rollout, past the release's check: the rollout refuses it itself.
      await rollout.signal(rollbackSignal, { by: 'direct', reason: 'bypassing the release' });
      await handle.signal(abortSignal, { by: 'signaller', reason: 'by signal' });

      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.abort).toBeUndefined();
      expect(result.status?.ignored).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'abort', by: 'signaller', reason: expect.stringMatching(/was committed at/) })]));
      expect(result.status?.rollout?.decisions).toEqual(
        expect.arrayContaining([expect.objectContaining({ kind: 'rollback', by: 'direct', result: 'refused', refusal: expect.stringMatching(/was committed at/) })]),
      );
      // What serves is what the outcome says: the new version, alone and active.
      expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: input.version, weight: 100 })]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
      expect((await rollout.query(rolloutStatusQuery)).phase).toBe('promoted');
    });
  });

  test('abort racing promote --full: exactly one outcome, and what serves agrees with it (10 rounds)', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 10; round++) {
      const { service, world, progressive, within } = rolloutScenario(env, `race${round}`, STABLE, () => healthy());
      await within(async (taskQueue) => {
        const { input, handle } = await startCanary(service, taskQueue);
        await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing');
        // The abort follows the promote by a delay that moves the race across the commit
        // point from round to round; one that arrives after the end is a late message.
        const promoted = handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'ship it', full: true }] });
        await new Promise((r) => setTimeout(r, round * 3));
        const aborted = await handle.signal(abortSignal, { by: 'oncall', reason: 'incident' }).then(
          () => true,
          () => false,
        );
        await promoted.catch(() => undefined); // refused when the abort got there first
        const result = await releaseResult(handle);
        outcomes.push(result.outcome);
        const last = progressive.tables[progressive.tables.length - 1];
        const active = world.active.get(`${service}/production`);
        if (result.outcome === 'succeeded') {
          expect(result.status?.abort).toBeUndefined();
          if (aborted) expect(result.status?.ignored).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'abort', by: 'oncall' })]));
          expect(last).toEqual([expect.objectContaining({ version: input.version, weight: 100 })]);
          expect(active?.artifact.version).toBe(input.version);
        } else {
          expect(result.outcome).toBe('aborted');
          expect(result.status?.abort).toMatchObject({ by: 'oncall' });
          expect(last).toEqual([expect.objectContaining({ version: STABLE, weight: 100 })]);
          expect(active?.artifact.version).toBe(STABLE);
          expect(world.stopped.some((s) => s.startsWith(`production/${STABLE}-`))).toBe(false);
        }
      });
    }
    expect(outcomes.every((o) => o === 'succeeded' || o === 'aborted')).toBe(true);
  });
});

describe('rollback always leaves something serving (time-skipping server)', () => {
  test('a rollback that finds stable gone starts it again before moving traffic, and keeps it the active instance', async () => {
    const { service, world, progressive, within } = rolloutScenario(env, 'gone', STABLE, (version) => (version === STABLE ? healthy() : failing(0.3)));
    const stableKey = [...world.running.keys()].find((k) => k.startsWith(`${service}/production/`))!;
    await within(async (taskQueue) => {
      const { handle } = await startCanary(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing');
      world.running.delete(stableKey); // stable died while the canary soaked
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
    });
    expect(world.running.has(stableKey)).toBe(true);
    expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: STABLE, weight: 100, role: 'stable' })]);
    expect(world.active.get(`${service}/production`)?.artifact.version).toBe(STABLE);
  });
});

describe('measure before moving (time-skipping server)', () => {
  test('with the metrics source down, the canary waits visibly and sets no route until it answers', async () => {
    const { service, progressive, within } = rolloutScenario(env, 'blind', STABLE, () => healthy());
    progressive.metricsOnline = false;
    await within(async (taskQueue) => {
      const { input, handle } = await startCanary(service, taskQueue);
      const waiting = await waitForStatus(handle, (s) => s.rollout?.phase === 'waiting_for_metrics');
      expect(waiting.rollout?.waitingForMetrics).toMatch(/metrics source does not answer \(connect ECONNREFUSED .*\); no traffic moves until it does/);
      await env.sleep('3 minutes');
      expect(progressive.tables).toEqual([]);
      expect(progressive.readinessChecks).toBeGreaterThanOrEqual(3);
      progressive.metricsOnline = true;
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 100, 100]);
      expect(result.status?.rollout?.waitingForMetrics).toBeUndefined();
    });
  });
});

describe('soak integrity: every planned check passes (time-skipping server)', () => {
  test('a check that could not judge is made again: the step advances only after all its planned checks passed', async () => {
    // The canary's second measurement has no data; everything else is healthy.
    const { service, within } = rolloutScenario(env, 'repeat', STABLE, (version, call) => (version !== STABLE && call === 2 ? noData : healthy()));
    await within(async (taskQueue) => {
      const { handle } = await startCanary(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      const atFive = (result.status?.rollout?.analyses ?? []).filter((a) => a.weight === 5);
      expect(atFive.map((a) => a.verdict)).toEqual(['pass', 'inconclusive', 'pass', 'pass', 'pass']);
      expect(result.status?.rollout?.soak).toMatchObject({ planned: 4, done: 4, extended: expect.stringMatching(/^soak extended: a check was inconclusive/) });
    });
  });
});

describe('the release status follows the rollout (time-skipping server)', () => {
  test('a progress report that arrives late never replaces a newer one', async () => {
    const { service, within } = rolloutScenario(env, 'order', STABLE, () => healthy());
    await within(async (taskQueue) => {
      const { handle } = await startCanary(service, taskQueue);
      const now = await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing');
      const newest = now.rollout!;
      await handle.signal(rolloutProgressSignal, { ...newest, phase: 'starting', revision: 1 });
      const after = await handle.query(statusQuery);
      expect(after.rollout?.revision).toBeGreaterThanOrEqual(newest.revision!);
      expect(after.rollout?.phase).not.toBe('starting');
      await releaseResult(handle);
    });
  });
});
