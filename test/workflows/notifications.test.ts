import { Runtime, DefaultLogger } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WebhookConfig } from '../../src/config/notifications';
import { renderStatus } from '../../src/cli/render-status';
import { releaseResult } from '../../src/client/release-client';
import { releaseDetails } from '../../src/policy/release-projection';
import { FanOutAuditSink } from '../../src/providers/audit/fan-out-audit-sink';
import type { RetryPolicy } from '../../src/providers/notifications/webhook-delivery';
import { WebhookNotifier } from '../../src/providers/notifications/webhook-notifier';
import { declareFreeze } from '../../src/client/change-calendar-client';
import { approveEmergencyUpdate, approveUpdate, statusQuery } from '../../src/shared/messages';
import { NOTIFICATION_EVENTS, notificationFailedSignal } from '../../src/shared/notifications';
import type { ReleaseStatus } from '../../src/shared/release';
import { releaseWorkflow } from '../../src/workflows/release';
import { testAuditSink } from '../support/audit-collector';
import { fakeDelivery } from '../support/fake-delivery';
import { releaseInput } from '../support/release-input';
import { failing as failingMeasurement, healthy } from '../support/fake-progressive';
import { rolloutScenario } from '../support/rollout-scenario';
import { createTimeSkippingEnv, withReleaseWorker } from '../support/time-skipping';
import { WebhookReceiver, type ReceiverBehaviour } from '../support/webhook-receiver';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const SECRET = 'workflow-test-secret';
/** Quick retries; the deadline leaves a receiver on a busy machine time to answer, so only the silent one times out. */
const RETRY: RetryPolicy = { attempts: 3, firstDelayMs: 50, maxDelayMs: 200, timeoutMs: 1_500 };

const receivers: WebhookReceiver[] = [];
async function receiver(behaviour?: ReceiverBehaviour): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start(behaviour);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

/** The worker's notifier as `gantry worker` wires it, with these webhooks for every service and failures signalled to the release. */
function workerNotifier(webhooks: Partial<WebhookConfig>[], retry: RetryPolicy = RETRY) {
  const warnings: string[] = [];
  const notifier = new WebhookNotifier({
    webhooksFor: () => webhooks.map((w) => ({ format: 'json' as const, events: [...NOTIFICATION_EVENTS], ...w })),
    env: { HOOK_SECRET: SECRET },
    report: async (releaseId, failure) => {
      await env.client.workflow.getHandle(releaseId).signal(notificationFailedSignal, failure);
    },
    log: { warn: (message) => warnings.push(message) },
    retry,
  });
  return { notifier, warnings, audit: new FanOutAuditSink([testAuditSink, notifier]) };
}

/** Polls the status query (queries do not advance time) until `done` says so. */
async function statusWhen(handle: { query: (q: typeof statusQuery) => Promise<ReleaseStatus> }, done: (s: ReleaseStatus) => boolean, what: string): Promise<ReleaseStatus> {
  for (let i = 0; i < 300; i++) {
    const status = await handle.query(statusQuery);
    if (done(status)) return status;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the release never showed ${what}`);
}

let seq = 0;
const nextVersion = () => `2.0.${++seq}`;

describe('notifications of a release (time-skipping server, real HTTP receivers)', () => {
  test('each moment reaches each webhook once, signed; a flaky one is retried; failing and silent ones show in the status and the release ships', async () => {
    const good = await receiver();
    const flaky = await receiver((n) => (n % 2 === 1 ? 500 : 200));
    const failing = await receiver(() => 500);
    const silent = await receiver(() => 'hang');
    const { notifier, warnings, audit } = workerNotifier([
      { url: good.url, secretEnv: 'HOOK_SECRET' },
      { url: flaky.url, secretEnv: 'HOOK_SECRET', format: 'slack' },
      { url: failing.url, events: ['approval', 'succeeded'] },
      { url: silent.url, events: ['approval'] },
    ]);
    const input = releaseInput({ version: nextVersion() });
    const workflowId = `release/web/${input.version}`;

    const result = await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [input] });
        // The release waits for its approver, and the two broken webhooks are reported while it does.
        const waiting = await statusWhen(handle, (s) => s.stage === 'approval' && (s.notificationFailures?.length ?? 0) === 2, 'two undelivered notifications while awaiting approval');
        expect(waiting.notificationFailures).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ webhook: 2, origin: new URL(failing.url).origin, event: 'approval', kind: 'approval_opened', attempts: 3, error: 'HTTP 500' }),
            expect.objectContaining({ webhook: 3, origin: new URL(silent.url).origin, event: 'approval', attempts: 3, error: 'no answer within 1500 ms' }),
          ]),
        );
        // `gantry release status` and the UI's details say so.
        expect(renderStatus(waiting)).toMatch(/notification not delivered: approval \(approval_opened #\d+\) to webhook 2 at http:\/\/127\.0\.0\.1:\d+, 3 attempts, gave up at .*: HTTP 500/);
        expect(releaseDetails(waiting)).toMatch(/Notification not delivered: approval to webhook 3 \(http:\/\/127\.0\.0\.1:\d+\) after 3 attempts: no answer within 1500 ms/);

        await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
        return handle.result();
      },
      undefined,
      { audit },
    );
    expect(result.outcome).toBe('succeeded');
    expect(result.status?.notificationFailures?.map((f) => f.webhook).sort()).toEqual([2, 3]);
    await notifier.idle();

    // Each notified moment once, in order, signed; the flaky one after a 500 each time.
    expect(good.delivered.map((r) => r.json.event)).toEqual(['approval', 'succeeded']);
    expect(good.delivered.every((r) => r.json.releaseWorkflowId === workflowId)).toBe(true);
    expect(good.allSignedWith(SECRET)).toBe(true);
    expect(flaky.received.map((r) => r.answer)).toEqual([500, 200, 500, 200]);
    expect(flaky.delivered.map((r) => r.json.text)).toEqual([expect.stringMatching(/^web 2\.0\.\d+ is awaiting approval/), expect.stringMatching(/^web 2\.0\.\d+ succeeded$/)]);
    expect(flaky.allSignedWith(SECRET)).toBe(true);
    expect(failing.received).toHaveLength(6);
    // The success notification failed after the release had ended, and this notifier's report (a signal only) could not record it: its log says so.
    expect(warnings).toContain('could not record an undelivered notification');
    // Nothing of a webhook's secret or path is in the release's record.
    expect(JSON.stringify(result.status)).not.toContain(SECRET);
    expect(JSON.stringify(result.status)).not.toContain('/hooks/gantry');
  });

  test('a webhook that never answers does not hold the release: it ships while the notification is still being tried', async () => {
    const silent = await receiver(() => 'hang');
    // Each attempt waits 20 s for an answer: a release that waited for it would be seen waiting.
    const { notifier, audit } = workerNotifier([{ url: silent.url, events: ['approval'] }], { attempts: 5, firstDelayMs: 50, maxDelayMs: 50, timeoutMs: 20_000 });
    const input = releaseInput({ version: nextVersion() });
    const started = Date.now();

    const result = await withReleaseWorker(
      env,
      fakeDelivery(),
      async (taskQueue) => {
        const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
        await statusWhen(handle, (s) => s.stage === 'approval', 'the approval stage');
        await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
        return handle.result();
      },
      undefined,
      { audit },
    );
    expect(result.outcome).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(15_000);
    // The notification of the approval was still hanging on its first attempt when the release ended.
    expect(silent.received).toHaveLength(1);
    expect(silent.received[0].answer).toBe('hung');
    await silent.close();
    receivers.splice(receivers.indexOf(silent), 1);
    await notifier.idle();
  });

  test('a canary that rolls back by itself tells the rollback as it starts, and the release that ended rolled back', async () => {
    const hook = await receiver();
    const { notifier, audit } = workerNotifier([{ url: hook.url, secretEnv: 'HOOK_SECRET', events: ['rollback', 'failed', 'succeeded'] }]);
    const { service, within } = rolloutScenario(env, 'notify-canary', '1.0.0', (version) => (version === '1.0.0' ? healthy() : failingMeasurement(0.2)));
    const input = releaseInput({
      service,
      version: nextVersion(),
      approval: { approvers: [], minApprovals: 0 },
      production: { strategy: 'canary', canary: { steps: [{ weight: 5, soak: '10m' }, { weight: 100 }], interval: '1m' } },
    });
    const result = await within(async (taskQueue) => {
      const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/${service}/${input.version}`, args: [input] });
      return releaseResult(handle);
    }, { audit });
    expect(result.outcome).toBe('rolled_back');
    await notifier.idle();
    expect(hook.delivered.map((r) => [r.json.event, r.json.kind, r.json.workflowId])).toEqual([
      ['rollback', 'rolling_back', `rollout/${service}/production/${input.version}`],
      ['rollback', 'finished', `release/${service}/${input.version}`],
    ]);
    expect(hook.delivered[0].json).toMatchObject({ environment: 'production', releaseWorkflowId: `release/${service}/${input.version}`, reason: expect.stringMatching(/error rate 20(\.0)? % > limit 1 %/) });
    expect(hook.delivered[1].json).toMatchObject({ outcome: 'rolled_back' });
    expect(hook.allSignedWith(SECRET)).toBe(true);
  });

  test('an emergency release held by a freeze tells the hold, then the emergency that passed it, then its success', async () => {
    const hook = await receiver();
    const { notifier, audit } = workerNotifier([{ url: hook.url, format: 'slack', events: ['hold', 'emergency', 'succeeded'] }]);
    const input = releaseInput({
      version: nextVersion(),
      approval: { approvers: [], minApprovals: 0 },
      roles: { emergencyApprovers: ['erin'] },
      emergency: { reason: 'card payments fail', ticket: 'INC-4711' },
    });
    // A server of its own: the change calendar keeps the freeze after this test's worker stops.
    const own = await createTimeSkippingEnv();
    const result = await withReleaseWorker(
      own,
      fakeDelivery(),
      async (taskQueue) => {
        await declareFreeze(own.client, taskQueue, { by: 'carol', reason: 'Black Friday', environments: ['production'] });
        const handle = await own.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release/web/${input.version}`, args: [input] });
        await statusWhen(handle, (s) => s.hold !== undefined, 'the freeze holding it');
        await handle.executeUpdate(approveEmergencyUpdate, { args: [{ by: 'erin', reason: 'payments are down' }] });
        return releaseResult(handle);
      },
      undefined,
      { audit },
    ).finally(() => own.teardown());
    expect(result.outcome).toBe('succeeded');
    await notifier.idle();
    const texts = hook.delivered.map((r) => r.json.text as string);
    expect(texts).toEqual([
      expect.stringMatching(new RegExp(`^web ${input.version.replace(/\./g, '\\.')} is held before production \\(freeze\\) until .*: change freeze F\\d+ declared by carol \\(Black Friday\\)`)),
      expect.stringMatching(/entered production as an emergency \(INC-4711\) approved by erin, passing: change freeze F\d+ declared by carol \(Black Friday\).*; payments are down$/),
      expect.stringMatching(/ succeeded$/),
    ]);
  });
});
