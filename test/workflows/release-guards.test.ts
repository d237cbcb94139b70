import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { liftQuarantine, quarantineVersion, readCalendar } from '../../src/client/change-calendar-client';
import { releaseResult } from '../../src/client/release-client';
import { changeCalendarWorkflowId } from '../../src/shared/change-calendar';
import type { Recorded, ReleaseEvent, RolloutEvent } from '../../src/shared/decision-events';
import { rolloutWorkflowId } from '../../src/shared/rollout';
import { environmentQuery, environmentWorkflowId } from '../../src/shared/environment';
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
          kind: 'soak',
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

  test('a quarantined version enters no environment, however long it waits, and goes on at once when the quarantine is lifted', async () => {
    const audit = new CollectingAuditSink();
    const world = fakeDelivery();
    await withReleaseWorker(
      env,
      world,
      async (taskQueue) => {
        const quarantine = await quarantineVersion(env.client, taskQueue, { service: 'web', version: '1.4.2', by: 'carol', reason: 'corrupts carts' });
        expect(quarantine).toEqual({ service: 'web', version: '1.4.2', by: 'carol', reason: 'corrupts carts', at: expect.any(String) });

        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: 'release/web/1.4.2', args: [releaseInput({ version: '1.4.2', approval: none })] });
        const hold = 'web 1.4.2 is quarantined by carol (corrupts carts) until it is lifted (gantry release unquarantine web 1.4.2)';
        const held = await awaitStatus(handle, (s) => s.hold !== undefined);
        expect(held.hold).toEqual({ environment: 'staging', kind: 'quarantine', untilLocal: 'the quarantine is lifted', reasons: [hold] });
        expect(held.waitingFor).toBe(`${hold}; it may deploy once the quarantine is lifted`);
        expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBe('quarantine');

        // Days pass: it stays held and nothing of it starts anywhere.
        await env.sleep('3 days');
        expect((await awaitStatus(handle, () => true)).environments).toEqual({});
        expect(world.startsBegun).toEqual([]);

        // Refused requests are answered with the reason, change nothing, and are recorded for the audit.
        await expect(quarantineVersion(env.client, taskQueue, { service: 'web', version: '1.4.2', by: 'erin', reason: 'again' })).rejects.toMatchObject({
          cause: { message: expect.stringMatching(/^web 1\.4\.2 is already quarantined by carol since .* \(corrupts carts\)$/) },
        });
        await expect(quarantineVersion(env.client, taskQueue, { service: 'web', version: '1.4.3', by: 'erin', reason: '  ' })).rejects.toMatchObject({
          cause: { message: expect.stringMatching(/--reason is required/) },
        });
        await expect(liftQuarantine(env.client, taskQueue, { service: 'web', version: '1.4.3', by: 'erin' })).rejects.toMatchObject({ cause: { message: 'web 1.4.3 is not quarantined' } });
        const refused = audit.of(changeCalendarWorkflowId(taskQueue)).filter((e) => e.kind === 'quarantine_refused');
        expect(refused.map((e) => e.kind === 'quarantine_refused' && [e.command, e.version, e.by])).toEqual([
          ['quarantine', '1.4.2', 'erin'],
          ['quarantine', '1.4.3', 'erin'],
          ['unquarantine', '1.4.3', 'erin'],
        ]);

        const lifted = await liftQuarantine(env.client, taskQueue, { service: 'web', version: '1.4.2', by: 'dave', reason: 'carts repaired' });
        expect(lifted.lifted).toEqual({ at: expect.any(String), by: 'dave', reason: 'carts repaired' });
        const done = await awaitStatus(handle, (s) => s.outcome !== undefined);
        expect(done.outcome).toBe('succeeded');
        expect(Object.keys(done.environments)).toEqual(['staging', 'production']);
        expect(startedAt(done, 'staging')).toBeGreaterThanOrEqual(Date.parse(lifted.lifted!.at));
        await expect(liftQuarantine(env.client, taskQueue, { service: 'web', version: '1.4.2', by: 'dave' })).rejects.toMatchObject({
          cause: { message: expect.stringMatching(/^web 1\.4\.2 is not quarantined: dave lifted its quarantine at /) },
        });
        expect(await readCalendar(env.client, taskQueue)).toMatchObject({ quarantined: [], lifted: [expect.objectContaining({ service: 'web', version: '1.4.2', by: 'carol' })] });
      },
      undefined,
      { audit },
    );
  });

  test('a version quarantined mid-canary raises no more traffic until the quarantine is lifted', async () => {
    const audit = new CollectingAuditSink();
    const { service, within } = rolloutScenario(env, 'quarantine', '1.0.0', () => healthy());
    await within(
      async (taskQueue) => {
        const input = releaseInput({
          service,
          version: '2.0.0',
          approval: none,
          production: { strategy: 'canary', canary: { steps: [{ weight: 10, soak: '20m' }, { weight: 50, soak: '20m' }, { weight: 100 }], interval: '5m' } },
        });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
        await waitForStatus(handle, (s) => s.rollout?.phase === 'progressing' && s.rollout.weights.canary === 10);
        await quarantineVersion(env.client, taskQueue, { service, version: '2.0.0', by: 'carol', reason: 'leaks memory' });
        await env.sleep('25 minutes');
        const held = await waitForStatus(handle, (s) => s.rollout?.phase === 'paused');
        expect(held.rollout).toMatchObject({
          weights: { canary: 10, stable: 90 },
          pausedBecause: `${service} 2.0.0 is quarantined by carol (leaks memory) until it is lifted (gantry release unquarantine ${service} 2.0.0); the canary holds 10 % until then`,
        });
        await env.sleep('2 hours');
        expect((await waitForStatus(handle, () => true)).rollout?.weights.canary).toBe(10);
        const liftedAt = await env.currentTimeMs();
        await liftQuarantine(env.client, taskQueue, { service, version: '2.0.0', by: 'carol' });
        expect((await releaseResult(handle)).outcome).toBe('succeeded');
        const traffic = (audit.of(rolloutWorkflowId(service, 'production', '2.0.0')) as Recorded<RolloutEvent>[]).flatMap((e) => (e.kind === 'traffic' ? [{ weight: e.weights.canary, at: Date.parse(e.at) }] : []));
        expect(traffic.map((t) => t.weight)).toEqual([10, 50, 100]);
        expect(traffic[1].at).toBeGreaterThanOrEqual(liftedAt);
      },
      { audit },
    );
  });

  test('a rollback without a reason, from a client that skipped the CLI, ends at once and says why', async () => {
    await withReleaseWorker(env, fakeDelivery(), async (taskQueue) => {
      const input = { ...releaseInput({ version: '1.4.1', approval: none }), rollback: { reason: ' ' } };
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: 'release/web/1.4.1', args: [input] });
      await expect(handle.result()).rejects.toMatchObject({
        cause: { type: 'InvalidReleaseInput', message: expect.stringMatching(/rollback without a reason \(say why the older version goes back\)/) },
      });
    });
  });
});
