import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseResult } from '../../src/client/release-client';
import { type LocalDate, addDays, instantOf, localTime } from '../../src/policy/zoned-time';
import { GantryHold } from '../../src/shared/search-attributes';
import { releaseWorkflow } from '../../src/workflows/release';
import { awaitStatus } from '../support/await-status';
import { fakeDelivery, seedActive } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';
import { CollectingAuditSink } from '../support/audit-collector';
import { healthy } from '../support/fake-progressive';
import { rolloutScenario } from '../support/rollout-scenario';
import type { Recorded, RolloutEvent } from '../../src/shared/decision-events';
import { rolloutWorkflowId } from '../../src/shared/rollout';

Runtime.install({ logger: new DefaultLogger('ERROR') });

// A fresh server per test: each moves its clock to the moment it needs, and time only goes forward.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

const BERLIN = 'Europe/Berlin';
const none = { approvers: [], minApprovals: 0 };

/** Moves the server's clock to the next `weekday` (0 = Monday) at `hour`:00 in Berlin; returns that instant. */
async function skipToNext(weekday: number, hour: number): Promise<number> {
  const now = await env.currentTimeMs();
  const today = localTime(now, BERLIN);
  for (let days = 1; days <= 8; days++) {
    const date = localTime(now + days * 86_400_000, BERLIN);
    if (date.weekday !== weekday) continue;
    const target = instantOf({ year: date.year, month: date.month, day: date.day, hour, minute: 0 }, BERLIN);
    if (target <= now) continue;
    await env.sleep(target - now);
    return target;
  }
  throw new Error(`no ${weekday} after ${JSON.stringify(today)}`);
}

const dateText = (d: LocalDate) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
const startedAt = (status: { timeline: { stage: string; startedAt: string }[] }, stage: string) => Date.parse(status.timeline.find((t) => t.stage === stage)?.startedAt ?? 'NaN');

describe('deploy windows and freezes hold a release durably (time-skipping server)', () => {
  test('a release started Friday 16:00 deploys staging, waits for production until Monday 06:00, and goes on by itself', async () => {
    const world = fakeDelivery();
    seedActive(world, 'web', 'production', '1.0.0');
    await withReleaseWorker(env, world, async (taskQueue) => {
      const friday = await skipToNext(4, 16);
      const input = releaseInput({ version: '1.1.0', approval: none, environments: { staging: {}, production: { changePolicy: { timeZone: BERLIN } } } });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const held = await awaitStatus(handle, (s) => s.hold !== undefined);
      expect(held.hold).toMatchObject({ environment: 'production', untilLocal: expect.stringMatching(/^Mon \d{4}-\d{2}-\d{2} 06:00 Europe\/Berlin$/), reasons: [expect.stringMatching(/blocked deploy window \(fri 12:00 to mon 06:00, Europe\/Berlin\)/)] });
      expect(held.waitingFor).toMatch(/it may deploy from Mon .* 06:00 Europe\/Berlin/);
      expect(held.environments).toEqual({ staging: expect.objectContaining({ version: '1.1.0' }) });
      expect(world.active.get('web/production')?.artifact.version).toBe('1.0.0');
      expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBe('deploy window');

      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      const monday = Date.parse(held.hold!.until!);
      expect(monday - friday).toBe((2 * 24 + 14) * 3_600_000);
      expect(startedAt(result.status!, 'production')).toBeGreaterThanOrEqual(monday);
      expect(result.status?.hold).toBeUndefined();
      expect(world.active.get('web/production')?.artifact.version).toBe('1.1.0');
      expect((await handle.describe()).typedSearchAttributes.get(GantryHold)).toBeUndefined();
    });
  });

  test('a three-week freeze is waited out; a low-risk change is held by it too', async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      const today = localTime(await env.currentTimeMs(), BERLIN);
      const lastDay = addDays(today, 21);
      const starts = `${dateText(today)}T00:00`;
      const ends = `${dateText(lastDay)}T00:00`;
      const freezeEnd = instantOf({ ...lastDay, hour: 0, minute: 0 }, BERLIN);
      const input = releaseInput({
        version: '2.0.0',
        risk: 'low',
        approval: none,
        environments: { staging: { changePolicy: { timeZone: BERLIN, freezes: [{ name: 'peak-season', reason: 'three weeks of peak traffic', starts, ends }] } } },
      });
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
      const held = await awaitStatus(handle, (s) => s.hold !== undefined);
      expect(held.hold?.reasons).toEqual([expect.stringMatching(/^change freeze peak-season \(three weeks of peak traffic\)/)]);
      expect(Date.parse(held.hold!.until!)).toBe(freezeEnd);
      const result = await releaseResult(handle);
      expect(result.outcome).toBe('succeeded');
      expect(startedAt(result.status!, 'staging')).toBeGreaterThanOrEqual(freezeEnd);
    });
  });

  test('a low-risk change passes a deploy window that holds medium and high risks', async () => {
    const world = fakeDelivery();
    await withReleaseWorker(env, world, async (taskQueue) => {
      await skipToNext(5, 10); // Saturday morning
      const input = releaseInput({ version: '3.0.0', risk: 'low', approval: none, environments: { production: { changePolicy: { timeZone: BERLIN } } } });
      const result = await releaseResult(await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] }));
      expect(result.outcome).toBe('succeeded');
      expect(result.status?.timeline.some((t) => t.stage === 'production')).toBe(true);
    });
  });

  test('a policy that refuses blocked releases ends the release refused and puts staging back', async () => {
    const world = fakeDelivery();
    const before = seedActive(world, 'web', 'staging', '1.0.0');
    await withReleaseWorker(env, world, async (taskQueue) => {
      await skipToNext(5, 10);
      const input = releaseInput({ version: '4.0.0', approval: none, environments: { staging: {}, production: { changePolicy: { timeZone: BERLIN, whenBlocked: 'refuse' } } } });
      const result = await releaseResult(await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] }));
      expect(result.outcome).toBe('refused');
      expect(result.reason).toMatch(/blocked deploy window .* start it again from Mon .* 06:00 Europe\/Berlin/);
      expect(world.active.get('web/staging')?.id).toBe(before.id);
      expect(result.status?.timeline.map((t) => t.stage)).not.toContain('production');
    });
  });
});

describe('a canary and the change policy (time-skipping server)', () => {
  test('a freeze that begins mid-canary holds its weight; the ramp resumes when the freeze ends', async () => {
    const audit = new CollectingAuditSink();
    const { service, within } = rolloutScenario(env, 'frozen', '1.0.0', () => healthy());
    await within(
      async (taskQueue) => {
        // The freeze starts 10 minutes from now, while the first step soaks (20 minutes), and lasts two hours.
        const now = await env.currentTimeMs();
        const startsAt = localTime(now + 10 * 60_000 + 60_000, 'UTC');
        const endsAt = localTime(now + 130 * 60_000 + 60_000, 'UTC');
        const wall = (t: typeof startsAt) => `${dateText(t)}T${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
        const input = releaseInput({
          service,
          version: '2.0.0',
          approval: none,
          production: {
            strategy: 'canary',
            canary: { steps: [{ weight: 10, soak: '20m' }, { weight: 50, soak: '20m' }, { weight: 100 }], interval: '5m' },
            changePolicy: { blockedWindows: [], freezes: [{ name: 'incident', reason: 'payments outage', starts: wall(startsAt), ends: wall(endsAt) }] },
          },
        });
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
        const result = await releaseResult(handle);
        expect(result.outcome).toBe('succeeded');

        const events = audit.of(rolloutWorkflowId(service, 'production', '2.0.0')) as Recorded<RolloutEvent>[];
        const traffic = events.filter((e) => e.kind === 'traffic').map((e) => ({ weight: e.kind === 'traffic' ? e.weights.canary : -1, at: Date.parse(e.at) }));
        expect(traffic.map((t) => t.weight)).toEqual([10, 50, 100]);
        const freezeEnd = instantOf(endsAt, 'UTC');
        // 10 % went out before the freeze; 50 % waited for its end.
        expect(traffic[0].at).toBeLessThan(instantOf(startsAt, 'UTC'));
        expect(traffic[1].at).toBeGreaterThanOrEqual(freezeEnd);
        expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'held', why: expect.stringMatching(/^change freeze incident \(payments outage\) .*the canary holds 10 % until then$/) })]));
      },
      { audit },
    );
  });
});
