import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { approveUpdate, pauseUpdate, promoteUpdate, resumeUpdate, rollbackUpdate, abortUpdate, statusQuery } from '../../src/shared/messages';
import { instanceIdFor } from '../../src/policy/environment-restore';
import { rolloutWorkflowId } from '../../src/shared/rollout';
import { releaseWorkflow } from '../../src/workflows/release';
import type { Measurement } from '../../src/contracts/measurements';
import { canaryWeights, failing, healthy, noData, slow, type MeasurementScript } from '../support/fake-progressive';
import { releaseInput } from '../support/release-input';
import { rolloutScenario, waitForStatus } from '../support/rollout-scenario';
import { seedActive } from '../support/fake-delivery';
import { createTimeSkippingEnv } from '../support/time-skipping';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// A fresh time-skipping server per test: long soaks in one test must not leave the
// next test a server whose clock it has to share.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const STABLE = '1.0.0';
const canaryProduction = (analysis: Record<string, unknown> = {}) => ({
  strategy: 'canary',
  canary: {
    steps: [
      { weight: 5, soak: '10m' },
      { weight: 10, soak: '10m' },
      { weight: 50, soak: '30m' },
      { weight: 100 },
    ],
    interval: '1m',
    analysis,
  },
});

let seq = 0;
async function startCanaryRelease(service: string, taskQueue: string, analysis?: Record<string, unknown>) {
  const input = releaseInput({ service, version: `2.0.${++seq}`, approval: { approvers: [], minApprovals: 0 }, production: canaryProduction(analysis) });
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
  return { input, handle };
}

const run = (script: MeasurementScript) => rolloutScenario(env, 'canary', STABLE, script);
// The canary's instance starts only when the test lets it, so a message lands while it starts.
const runHoldingStart = (script: MeasurementScript) => rolloutScenario(env, 'canary', STABLE, script, { holdStartIn: ['production'] });
const canaryId = (version: string) => `production/${instanceIdFor(version, `sha256:${'ab'.repeat(32)}`)}`;
/** What the Temporal UI shows for a workflow now: the details it last set. */
const uiDetails = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';

describe('canary rollout (time-skipping server: hours of soak pass in moments)', () => {
  test('a healthy canary goes 5 → 10 → 50 → 100 % and becomes stable; the old version is retired', async () => {
    const { service, world, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 10, 50, 100, 100]);
      expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: input.version, weight: 100, role: 'stable' })]);
      // 10 + 10 + 30 one-minute checks, canary and stable measured at each.
      expect(progressive.measured.filter((m) => m.version === input.version)).toHaveLength(50);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
      expect(world.stopped.some((s) => s.startsWith(`production/${STABLE}-`))).toBe(true);
      expect(result.status?.rollout).toMatchObject({ phase: 'promoted', weights: { canary: 100, stable: 0 }, stableVersion: input.version });
      expect(result.status?.rollout?.analyses).toHaveLength(50);
    });
  });

  test('a canary with a high error rate is rolled back by itself; stable serves 100 % again', async () => {
    const { service, world, progressive, within } = run((version) => (version === STABLE ? healthy() : failing(0.2)));
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/canary at 5 %: 2 failed checks in a row \(limit 2\): .*error rate 20(\.0)? % > limit 1 %/);
      const last = progressive.tables[progressive.tables.length - 1];
      expect(last).toEqual([expect.objectContaining({ version: STABLE, weight: 100, role: 'stable' })]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(STABLE);
      expect(world.stopped.some((s) => s.startsWith(`production/${input.version}-`))).toBe(true);
      expect(result.status?.rollout?.phase).toBe('rolled_back');
    });
  });

  test('a slow canary is rolled back on p99 latency relative to stable', async () => {
    const { service, progressive, within } = run((version) => (version === STABLE ? slow(100) : slow(400)));
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/p99 400 ms > 1\.25 × stable 100 ms/);
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 0]);
    });
  });

  test('inconclusive analyses pause the rollout and ask a human; resume through the release continues it', async () => {
    let resumed = false;
    const { service, progressive, within } = run((version) => (version === STABLE || resumed ? healthy() : noData));
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue, { inconclusiveLimit: 3 });
      await env.sleep('5 minutes'); // three one-minute checks, all without data
      const paused = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      expect(paused.rollout?.pausedBecause).toMatch(/3 inconclusive checks in a row \(limit 3\)/);
      expect(paused.rollout?.weights.canary).toBe(5);
      expect(paused.waitingFor).toMatch(/paused, 5 % on/);

      const refused = await handle.executeUpdate(resumeUpdate, { args: [{ by: '' }] }).catch((err: WorkflowUpdateFailedError) => err);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toBe('say who you are (by / --as)');
      resumed = true;
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.rollout?.decisions).toEqual([expect.objectContaining({ kind: 'resume', by: 'oncall' })]);
      expect(canaryWeights(progressive.tables, input.version).slice(-1)).toEqual([100]);
    });
  });

  test('pause holds the step; promote ends the soak; promote --full goes to 100 % at once', async () => {
    const { service, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'watching a dashboard' }] });
      const paused = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      expect(paused.rollout?.pausedBecause).toBe('paused by oncall: watching a dashboard');
      await env.sleep('2 hours'); // a paused rollout does not move, however long
      expect((await handle.query(statusQuery)).rollout).toMatchObject({ phase: 'paused', step: 0 });

      const refused = await handle.executeUpdate(promoteUpdate, { args: [{ by: 'oncall' }] }).catch((err: WorkflowUpdateFailedError) => err);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toBe('a promote needs a reason (--reason)');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'oncall', reason: 'metrics look fine' }] });
      await waitForStatus(handle, (s) => s.rollout?.step === 1);
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'hotfix needed everywhere', full: true }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 10, 100]);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['pause', 'oncall'],
        ['promote', 'oncall'],
        ['promote_full', 'lead'],
      ]);
    });
  });

  test('abort mid-soak rolls back (stable at 100 %) and ends the release as aborted', async () => {
    const { service, world, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing' && s.rollout.weights.canary === 5);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'incident elsewhere' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: STABLE, weight: 100 })]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(STABLE);
      expect(world.stopped.some((s) => s.startsWith(`production/${input.version}-`))).toBe(true);
    });
  });
});

describe('canary rollout judged statistically (analysis.judge; the early stop, which needs the embedded router, is off here)', () => {
  const JUDGE = { judge: { earlyStop: false, errors: { minRequests: 100 } } };
  /** 200 requests whose latencies all sit at `ms`, as the embedded router's histogram reports them. */
  const withLatency = (ms: number, errors = 0): Measurement => ({
    kind: 'value',
    requests: 200,
    errors,
    errorRate: errors / 200,
    latencyMs: { p50: ms, p99: ms },
    latencyHistogram: [
      [ms * 0.9, 50],
      [ms, 100],
      [ms * 1.1, 50],
    ],
  });

  test('a marginal canary (slower, not failing) pauses with the figures in its status; resumed by a person, it goes on', async () => {
    let resumed = false;
    const { service, within } = run((version) => (version === STABLE || resumed ? withLatency(100) : withLatency(300)));
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue, JUDGE);
      await env.sleep('2 minutes'); // the first one-minute check
      const paused = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      expect(paused.rollout?.pausedBecause).toMatch(/^the judge found the canary marginal \(a person decides\): marginal: score 60 \(pass ≥ 90, marginal ≥ 60\) — latency canary higher/);
      const last = paused.rollout?.analyses.at(-1);
      expect(last).toMatchObject({ verdict: 'inconclusive', judged: { verdict: 'marginal', score: 60 } });
      expect(last?.figures).toEqual([
        expect.stringMatching(/^errors \(critical\): no meaningful difference: 0\/200 \(0 %\) vs 0\/200 \(0 %\)/),
        expect.stringMatching(/^latency: canary higher: shift \+200 .*Mann-Whitney p = .*200 vs 200 samples$/),
      ]);
      expect(await uiDetails(rolloutWorkflowId(service, 'production', input.version))).toMatch(/- latency: canary higher: shift \+200/);

      resumed = true;
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall', reason: 'the slower path is the new cache warming' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.rollout?.stableVersion).toBe(input.version);
    });
  });

  test('a canary whose errors are above stable fails the judge and is rolled back at its first check (no failure limit to reach)', async () => {
    const { service, progressive, within } = run((version) => (version === STABLE ? withLatency(100, 1) : withLatency(100, 30)));
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue, JUDGE);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/^canary at 5 %: the judge failed the canary: fail: critical metric errors failed — errors \(critical\) canary higher: 30\/200 \(15 %\) vs 1\/200 \(0.5 %\)/);
      expect(result.status?.rollout?.analyses).toHaveLength(1);
      expect(canaryWeights(progressive.tables, input.version).slice(-1)).toEqual([0]);
    });
  });
});

describe('approval by analysis: the judge approves production after a staging canary it passed all the way', () => {
  const JUDGED_STAGING = { ...canaryProduction({ judge: { earlyStop: false, errors: { minRequests: 100 } } }), canary: { ...canaryProduction().canary, steps: [{ weight: 10, soak: '2m' }, { weight: 100 }], analysis: { judge: { earlyStop: false, errors: { minRequests: 100 } } } } };
  const withLatency = (ms: number): Measurement => ({ kind: 'value', requests: 200, errors: 0, errorRate: 0, latencyMs: { p99: ms }, latencyHistogram: [[ms, 200]] });

  async function startJudgedStaging(service: string, taskQueue: string) {
    const input = releaseInput({
      service,
      version: `2.1.${++seq}`,
      approval: { approvers: ['bob'], minApprovals: 1, byAnalysis: true },
      environments: { staging: JUDGED_STAGING, production: { strategy: 'allAtOnce' } },
    });
    const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
    return { input, handle };
  }

  test('every staging check passed: production goes ahead with no person approving, and the status says the analysis approved', async () => {
    const { service, world, within } = run(() => withLatency(100));
    seedActive(world, service, 'staging', STABLE);
    await within(async (taskQueue) => {
      const { input, handle } = await startJudgedStaging(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.approvals).toEqual([]);
      expect(result.status?.approvedByAnalysis).toMatchObject({
        environment: 'staging',
        reason: 'the statistical judge passed all 2 scored checks of the rollout in staging (lowest score 100)',
      });
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
    });
  });

  test('a marginal staging check a person resumed: production waits for people, and says why', async () => {
    let resumed = false;
    const { service, world, within } = run((version) => (version === STABLE || resumed ? withLatency(100) : withLatency(300)));
    seedActive(world, service, 'staging', STABLE);
    await within(async (taskQueue) => {
      const { handle } = await startJudgedStaging(service, taskQueue);
      await env.sleep('2 minutes');
      await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      resumed = true;
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      await env.sleep('5 minutes'); // the rest of the staging soak
      const waiting = await waitForStatus(handle, (s) => s.stage === 'approval');
      expect(waiting.timeline.at(-1)?.note).toMatch(/^people approve: the judge found 1 of \d+ checks in staging marginal/);
      expect(waiting.approvedByAnalysis).toBeUndefined();
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      expect((await releaseResult(handle)).outcome).toBe('succeeded');
    });
  });
});

describe('steering a canary while it starts (time-skipping server)', () => {
  test('an abort while the canary starts cancels the start; stable keeps all traffic and the canary is stopped', async () => {
    const { service, world, progressive, within } = runHoldingStart(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'starting');
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'wrong artifact' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      expect(result.reason).toBe('aborted by oncall: wrong artifact');
      expect(progressive.tables).toEqual([[expect.objectContaining({ version: STABLE, weight: 100, role: 'stable' })]]);
      expect(progressive.measured).toEqual([]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(STABLE);
      expect(world.stopped).toContain(canaryId(input.version));
      expect(world.stopped.some((s) => s.startsWith(`production/${STABLE}-`))).toBe(false);
      expect(result.status?.rollout).toMatchObject({ phase: 'rolled_back', reason: 'the release was aborted', weights: { stable: 100, canary: 0 } });
    });
  });

  test('a rollback while the canary starts ends the rollout before the canary takes any traffic, pending pause or not', async () => {
    const { service, world, progressive, within } = runHoldingStart(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'starting');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'load test running' }] });
      await waitForStatus(handle, (s) => s.rollout?.pausedBecause !== undefined);
      await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'the migration is not out yet' }] });
      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toBe('rolled back by oncall: the migration is not out yet');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0]);
      expect(progressive.measured).toEqual([]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(STABLE);
      expect(world.stopped).toContain(canaryId(input.version));
      expect(result.status?.rollout).toMatchObject({ phase: 'rolled_back', weights: { stable: 100, canary: 0 } });
      // The pause that was pending does not linger in the status of a finished rollout.
      expect(result.status?.rollout?.pausedBecause).toBeUndefined();
    });
  });

  test('a pause while the canary starts holds it at 0 %, however long, until resume', async () => {
    const { service, world, progressive, within } = runHoldingStart(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'starting');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'load test running' }] });
      world.letHeldFinish();
      const paused = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      expect(paused.rollout).toMatchObject({ weights: { stable: 100, canary: 0 }, pausedBecause: 'paused by oncall: load test running' });
      await env.sleep('2 hours');
      expect((await handle.query(statusQuery)).rollout?.phase).toBe('paused');
      expect(progressive.tables).toEqual([]);
      expect(progressive.measured).toEqual([]);

      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 10, 50, 100, 100]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['pause', 'oncall'],
        ['resume', 'oncall'],
      ]);
    });
  });

  test('a resume while the canary still starts cancels the pending pause: a second pause is refused, and the canary never holds', async () => {
    const { service, world, progressive, within } = runHoldingStart(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'starting');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'load test running' }] });
      const pending = await waitForStatus(handle, (s) => s.rollout?.pausedBecause !== undefined);
      expect(pending.rollout).toMatchObject({ phase: 'starting', pausedBecause: 'paused by oncall: load test running' });

      const again = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'lead' }] }).catch((err: WorkflowUpdateFailedError) => err);
      expect(again).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((again as WorkflowUpdateFailedError).cause?.message).toBe('a pause is already pending: the rollout holds before traffic moves (it is starting)');
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const resumed = await waitForStatus(handle, (s) => s.rollout?.pausedBecause === undefined);
      expect(resumed.rollout?.phase).toBe('starting');

      world.letHeldFinish();
      // No hold at the first step: the canary takes 5 % with no one resuming it again.
      const first = await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing');
      expect(first.rollout).toMatchObject({ step: 0, weights: { stable: 95, canary: 5 } });
      expect(first.rollout?.pausedBecause).toBeUndefined();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 10, 50, 100, 100]);
      expect(progressive.measured.filter((m) => m.version === input.version)).toHaveLength(50);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['pause', 'oncall'],
        ['resume', 'oncall'],
      ]);
    });
  });

  test('a promote while a pause is pending clears it from the status at once and in the end', async () => {
    const { service, world, progressive, within } = runHoldingStart(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'starting');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'load test running' }] });
      await waitForStatus(handle, (s) => s.rollout?.pausedBecause !== undefined);
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'the load test can wait' }] });
      const promoted = await waitForStatus(handle, (s) => s.rollout?.decisions.some((d) => d.kind === 'promote') === true);
      expect(promoted.rollout).toMatchObject({ phase: 'starting' });
      expect(promoted.rollout?.pausedBecause).toBeUndefined();
      expect(await uiDetails(rolloutWorkflowId(service, 'production', input.version))).not.toMatch(/Paused:/);
      // Nothing is paused any more: a resume has nothing to cancel.
      const resume = await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] }).catch((err: WorkflowUpdateFailedError) => err);
      expect((resume as WorkflowUpdateFailedError).cause?.message).toBe('the rollout is not paused (it is starting)');

      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      // The promote ended the first soak only; the steps after it soaked as usual.
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 10, 50, 100, 100]);
      expect(result.status?.rollout).toMatchObject({ phase: 'promoted', weights: { stable: 0, canary: 100 } });
      expect(result.status?.rollout?.pausedBecause).toBeUndefined();
      expect(await uiDetails(rolloutWorkflowId(service, 'production', input.version))).toMatch(/^Phase: \*\*promoted\*\*/m);
      expect(await uiDetails(rolloutWorkflowId(service, 'production', input.version))).not.toMatch(/Paused:/);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['pause', 'oncall'],
        ['promote', 'lead'],
      ]);
    });
  });

  test('promote --full while the canary starts sends it all traffic without a soak', async () => {
    const { service, world, progressive, within } = runHoldingStart(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startCanaryRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'starting');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'security fix', full: true }] });
      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      // The first step's split is set on the way to 100 %, with no soak and no analysis.
      expect(canaryWeights(progressive.tables, input.version)).toEqual([5, 100]);
      expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: input.version, weight: 100, role: 'stable' })]);
      expect(progressive.measured).toEqual([]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
      expect(world.stopped.some((s) => s.startsWith(`production/${STABLE}-`))).toBe(true);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([['promote_full', 'lead']]);
    });
  });
});
