import { Runtime, DefaultLogger } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { abortUpdate, pauseUpdate, promoteUpdate, resumeUpdate, rollbackUpdate, statusQuery } from '../../src/shared/messages';
import { instanceIdFor } from '../../src/policy/environment-restore';
import { rolloutWorkflowId } from '../../src/shared/rollout';
import { releaseWorkflow } from '../../src/workflows/release';
import { canaryWeights, failing, healthy, noData, type MeasurementScript } from '../support/fake-progressive';
import { releaseInput } from '../support/release-input';
import { rolloutScenario, waitForStatus } from '../support/rollout-scenario';
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

const BLUE = '1.0.0';
let seq = 0;
async function startBlueGreenRelease(service: string, taskQueue: string, blueGreen: Record<string, unknown> = {}) {
  const input = releaseInput({
    service,
    version: `3.0.${++seq}`,
    approval: { approvers: [], minApprovals: 0 },
    production: { strategy: 'blueGreen', blueGreen: { keepBlueFor: '10m', interval: '1m', previewRequests: 40, ...blueGreen } },
  });
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
  return { input, handle };
}

const run = (script: MeasurementScript) => rolloutScenario(env, 'bluegreen', BLUE, script);
// Green's smoke test runs until the test lets it finish, so a message lands while green is verified.
const runHoldingSmoke = (script: MeasurementScript) => rolloutScenario(env, 'bluegreen', BLUE, script, { holdCommands: ['smoke (green)'] });
const greenId = (version: string) => `production/${instanceIdFor(version, `sha256:${'ab'.repeat(32)}`)}`;
/** What the Temporal UI shows for a workflow now: the details it last set. */
const uiDetails = async (workflowId: string) => (await env.client.workflow.getHandle(workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';

describe('blue/green rollout (time-skipping server)', () => {
  test('green is verified on preview traffic, takes all traffic at once, blue is kept for a while and then retired', async () => {
    const { service, world, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      // 0 % beside blue, the switch to 100 %, then green alone as stable.
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
      expect(progressive.tables[1]).toEqual(
        expect.arrayContaining([expect.objectContaining({ version: BLUE, weight: 0, role: 'stable' }), expect.objectContaining({ version: input.version, weight: 100 })]),
      );
      expect(progressive.previewRequests).toBe(40);
      expect(world.commands.map((c) => c.label)).toContain('smoke (green)');
      // One preview analysis and ten one-minute checks while blue was kept.
      expect(result.status?.rollout?.analyses.map((a) => a.weight)).toEqual([0, ...Array(10).fill(100)]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(true);
    });
  });

  test('green failing after the switch switches back to blue by itself', async () => {
    let switched = false;
    const { service, world, progressive, within } = run((version) => (version === BLUE || !switched ? healthy() : failing(0.3)));
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'keeping_blue');
      switched = true;
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/green failed after the switch: .*error rate 30(\.0)? % > limit 1 %/);
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 0]);
      expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: BLUE, weight: 100, role: 'stable' })]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(BLUE);
    });
  });

  test('green failing its preview analysis never receives public traffic', async () => {
    const { service, progressive, within } = run((version) => (version === BLUE ? healthy() : failing(0.5)));
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/green failed its preview analysis/);
      expect(Math.max(...canaryWeights(progressive.tables, input.version))).toBe(0);
    });
  });

  test('with approveSwitch the switch waits for a promote; a rollback during the keep window switches back at once', async () => {
    const { service, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue, { approveSwitch: true, keepBlueFor: '1h' });
      await waitForStatus(handle, (s) => s.rollout?.phase === 'waiting_for_switch');
      await env.sleep('3 hours'); // nothing switches without a person
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0]);
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'go' }] });
      await waitForStatus(handle, (s) => s.rollout?.phase === 'keeping_blue');
      await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'support tickets spiking' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toBe('switched back by oncall: support tickets spiking');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 0]);
    });
  });

  test('a pause while blue is kept holds blue up, however long; resume lets it retire', async () => {
    const { service, world, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'keeping_blue');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'checking a report' }] });
      await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      await env.sleep('3 hours');
      expect((await handle.query(statusQuery)).rollout?.phase).toBe('paused');
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(false);

      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(true);
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
    });
  });

  test('an abort while waiting for the switch leaves blue serving and stops green', async () => {
    const { service, world, progressive, within } = run(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue, { approveSwitch: true });
      await waitForStatus(handle, (s) => s.rollout?.phase === 'waiting_for_switch');
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'change freeze' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      expect(Math.max(...canaryWeights(progressive.tables, input.version))).toBe(0);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(BLUE);
      expect(world.stopped.some((s) => s.startsWith(`production/${input.version}-`))).toBe(true);
    });
  });
});


/**
 * Green's measurements as letters, one per call: the preview first, then each check after
 * the switch (p pass, f 30 % errors, i no data); blue is always healthy, and green is
 * healthy once the letters run out.
 */
const greenSays = (letters: string): MeasurementScript => (version, call) => {
  if (version === BLUE) return healthy();
  const letter = letters[call - 1] ?? 'p';
  return letter === 'f' ? failing(0.3) : letter === 'i' ? noData : healthy();
};

describe("blue/green judges green's checks after the switch by the verdict policy (time-skipping server)", () => {
  test.each([
    // failureLimit 2 by default. In a row: a pass between failures resets the run ...
    ['consecutive', 'pfpfpp', 'succeeded', undefined, 10],
    // ... an inconclusive check does not (it is no evidence that green is healthy).
    ['consecutive', 'pfif', 'rolled_back', /^green failed after the switch: 2 failed checks in a row \(limit 2\): error rate 30 % > limit 1 %$/, 3],
    // In total: the second failure switches back, whatever came between.
    ['total', 'pfpf', 'rolled_back', /^green failed after the switch: 2 failed checks in total \(limit 2\): error rate 30 % > limit 1 %$/, 3],
  ])('failureMode %s, green says %s → %s', async (failureMode, letters, outcome, reason, checks) => {
    const { service, world, progressive, within } = run(greenSays(letters));
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue, { analysis: { failureMode } });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe(outcome);
      if (reason) expect(result.reason).toMatch(reason);
      expect(result.status?.rollout?.analyses.filter((a) => a.weight === 100)).toHaveLength(checks);
      if (outcome === 'succeeded') {
        expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
        expect(world.active.get(`${service}/production`)?.artifact.version).toBe(input.version);
      } else {
        expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 0]);
        expect(world.active.get(`${service}/production`)?.artifact.version).toBe(BLUE);
      }
    });
  });

  test('inconclusiveLimit inconclusive checks in a row pause with blue still up; resume lets green finish its window and blue retire', async () => {
    let resumed = false;
    const { service, world, progressive, within } = run((version, call) => (resumed ? healthy() : greenSays('piii')(version, call)));
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue, { analysis: { inconclusiveLimit: 2 } });
      await waitForStatus(handle, (s) => s.rollout?.phase === 'keeping_blue');
      await env.sleep('5 minutes'); // two one-minute checks without data pause it
      const paused = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      expect(paused.rollout?.pausedBecause).toBe('2 inconclusive checks in a row (limit 2): no measurement of the new version: no data: no requests for this version in the window; resume, promote or roll back');
      expect(paused.rollout?.analyses.map((a) => [a.weight, a.verdict])).toEqual([[0, 'pass'], [100, 'inconclusive'], [100, 'inconclusive']]);
      expect(paused.rollout?.weights).toEqual({ stable: 0, canary: 100 });
      await env.sleep('3 hours'); // blue stays up, however long the pause
      expect((await handle.query(statusQuery)).rollout?.phase).toBe('paused');
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(false);

      resumed = true;
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      // Every check of the window counts once: two inconclusive, then eight passing.
      expect(result.status?.rollout?.analyses.map((a) => a.verdict)).toEqual(['pass', 'inconclusive', 'inconclusive', ...Array(8).fill('pass')]);
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(true);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([['resume', 'oncall']]);
    });
  });
});


describe('steering blue/green while green is verified (time-skipping server)', () => {
  test('an abort while green is verified cancels the smoke test, stops green and leaves blue serving all traffic', async () => {
    const { service, world, progressive, within } = runHoldingSmoke(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'oncall', reason: 'wrong artifact' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('aborted');
      expect(result.reason).toBe('aborted by oncall: wrong artifact');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 0]);
      expect(progressive.tables[progressive.tables.length - 1]).toEqual([expect.objectContaining({ version: BLUE, weight: 100, role: 'stable' })]);
      // The verification stopped with the smoke test: no preview traffic, nothing measured.
      expect(progressive.previewRequests).toBe(0);
      expect(progressive.measured).toEqual([]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(BLUE);
      expect(world.stopped).toContain(greenId(input.version));
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(false);
      expect(result.status?.rollout).toMatchObject({ phase: 'rolled_back', reason: 'the release was aborted', weights: { stable: 100, canary: 0 } });
    });
  });

  test('a rollback while green is verified refuses green before it receives any public traffic', async () => {
    const { service, world, progressive, within } = runHoldingSmoke(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(rollbackUpdate, { args: [{ by: 'oncall', reason: 'wrong feature flags baked in' }] });
      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toBe('rolled back by oncall: wrong feature flags baked in');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 0]);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(BLUE);
      expect(world.stopped).toContain(greenId(input.version));
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([['rollback', 'oncall']]);
    });
  });

  test('a pause while green is verified holds the switch, however long, until resume', async () => {
    const { service, world, progressive, within } = runHoldingSmoke(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'waiting for the database team' }] });
      world.letHeldFinish();
      // Verification finishes (green passed its preview), then the rollout holds before the switch.
      const paused = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
      expect(paused.rollout).toMatchObject({ weights: { stable: 100, canary: 0 }, pausedBecause: 'paused by oncall: waiting for the database team' });
      expect(paused.rollout?.analyses.map((a) => [a.weight, a.verdict])).toEqual([[0, 'pass']]);
      await env.sleep('3 hours');
      expect((await handle.query(statusQuery)).rollout?.phase).toBe('paused');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0]);

      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
      expect(world.stopped.some((s) => s.startsWith(`production/${BLUE}-`))).toBe(true);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['pause', 'oncall'],
        ['resume', 'oncall'],
      ]);
    });
  });

  test('a resume while green is still verified cancels the pending pause: a second pause is refused, and the switch happens without a hold', async () => {
    const { service, world, progressive, within } = runHoldingSmoke(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'waiting for the database team' }] });
      const pending = await waitForStatus(handle, (s) => s.rollout?.pausedBecause !== undefined);
      expect(pending.rollout).toMatchObject({ phase: 'verifying', pausedBecause: 'paused by oncall: waiting for the database team' });

      const again = await handle.executeUpdate(pauseUpdate, { args: [{ by: 'lead' }] }).catch((err: WorkflowUpdateFailedError) => err);
      expect(again).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((again as WorkflowUpdateFailedError).cause?.message).toBe('a pause is already pending: the rollout holds before traffic moves (it is verifying)');
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'oncall' }] });
      const resumed = await waitForStatus(handle, (s) => s.rollout?.pausedBecause === undefined);
      expect(resumed.rollout?.phase).toBe('verifying');

      world.letHeldFinish();
      // No hold before the switch: green takes all traffic with no one resuming it again.
      const switched = await waitForStatus(handle, (s) => s.rollout?.phase === 'keeping_blue');
      expect(switched.rollout).toMatchObject({ weights: { stable: 0, canary: 100 } });
      expect(switched.rollout?.pausedBecause).toBeUndefined();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
      expect(result.status?.rollout?.analyses.map((a) => a.weight)).toEqual([0, ...Array(10).fill(100)]);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['pause', 'oncall'],
        ['resume', 'oncall'],
      ]);
    });
  });

  test('a promote while a pause is pending clears it from the status at once and in the end', async () => {
    const { service, world, progressive, within } = runHoldingSmoke(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(pauseUpdate, { args: [{ by: 'oncall', reason: 'waiting for the database team' }] });
      await waitForStatus(handle, (s) => s.rollout?.pausedBecause !== undefined);
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'the database team said go' }] });
      const promoted = await waitForStatus(handle, (s) => s.rollout?.decisions.some((d) => d.kind === 'promote') === true);
      expect(promoted.rollout).toMatchObject({ phase: 'verifying' });
      expect(promoted.rollout?.pausedBecause).toBeUndefined();
      expect(await uiDetails(rolloutWorkflowId(service, 'production', input.version))).not.toMatch(/Paused:/);

      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      // Verification still ran and blue was still kept for its whole window.
      expect(result.status?.rollout?.analyses.map((a) => a.weight)).toEqual([0, ...Array(10).fill(100)]);
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
      expect(result.status?.rollout).toMatchObject({ phase: 'promoted', weights: { stable: 0, canary: 100 } });
      expect(result.status?.rollout?.pausedBecause).toBeUndefined();
      expect(await uiDetails(rolloutWorkflowId(service, 'production', input.version))).not.toMatch(/Paused:/);
    });
  });

  test('with approveSwitch, a promote while green is verified approves the switch in advance; verification still runs', async () => {
    const { service, world, progressive, within } = runHoldingSmoke(() => healthy());
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue, { approveSwitch: true });
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'approved at the change meeting' }] });
      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(world.commands.map((c) => c.label)).toContain('smoke (green)');
      expect(progressive.previewRequests).toBe(40);
      // The promote was the switch's approval: blue was still kept for its whole window.
      expect(result.status?.rollout?.analyses.map((a) => a.weight)).toEqual([0, ...Array(10).fill(100)]);
      expect(canaryWeights(progressive.tables, input.version)).toEqual([0, 100, 100]);
      expect(result.status?.rollout?.decisions.map((d) => [d.kind, d.by])).toEqual([['promote', 'lead']]);
    });
  });

  test('a promote while green is verified does not overrule a failed preview analysis', async () => {
    const { service, world, progressive, within } = runHoldingSmoke((version) => (version === BLUE ? healthy() : failing(0.5)));
    await within(async (taskQueue) => {
      const { input, handle } = await startBlueGreenRelease(service, taskQueue);
      await waitForStatus(handle, (s) => s.rollout?.phase === 'verifying');
      await handle.executeUpdate(promoteUpdate, { args: [{ by: 'lead', reason: 'customers are waiting' }] });
      world.letHeldFinish();
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('rolled_back');
      expect(result.reason).toMatch(/green failed its preview analysis: .*error rate 50(\.0)? % > limit 1 %/);
      expect(Math.max(...canaryWeights(progressive.tables, input.version))).toBe(0);
      expect(world.active.get(`${service}/production`)?.artifact.version).toBe(BLUE);
    });
  });
});
