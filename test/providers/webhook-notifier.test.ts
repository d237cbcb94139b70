import type { WebhookConfig } from '../../src/config/notifications';
import type { RetryPolicy } from '../../src/providers/notifications/webhook-delivery';
import { WebhookNotifier } from '../../src/providers/notifications/webhook-notifier';
import type { DecisionEvent, Recorded } from '../../src/shared/decision-events';
import { NOTIFICATION_EVENTS, type NotificationFailure } from '../../src/shared/notifications';
import { WebhookReceiver, type ReceiverBehaviour } from '../support/webhook-receiver';

/**
 * Quick retries, so a test sees a receiver given up on in well under a second. The
 * deadline leaves room for a first request on a busy machine; the test of a receiver that
 * never answers shortens it.
 */
const RETRY: RetryPolicy = { attempts: 3, firstDelayMs: 50, maxDelayMs: 200, timeoutMs: 3_000 };
const SECRET = 'test-hook-secret-0123456789';
const ORIGIN = { namespace: 'default', workflowType: 'releaseWorkflow', runId: 'run-1' };

let seq = 0;
const recorded = (event: DecisionEvent, workflowId = 'release/web/1.4.2'): Recorded => ({ ...event, seq: ++seq, at: new Date().toISOString(), workflowId }) as Recorded;

const receivers: WebhookReceiver[] = [];
async function receiver(behaviour?: ReceiverBehaviour): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start(behaviour);
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function notifier(webhooks: Partial<WebhookConfig>[], env: Record<string, string> = { HOOK_SECRET: SECRET }, retry: RetryPolicy = RETRY) {
  const reports: { release: string; failure: NotificationFailure }[] = [];
  const warnings: { message: string; meta: Record<string, unknown> }[] = [];
  const hooks = webhooks.map((w) => ({ format: 'json' as const, events: [...NOTIFICATION_EVENTS], ...w }));
  const n = new WebhookNotifier({
    webhooksFor: (service) => (service === 'web' ? hooks : []),
    env,
    report: async (release, failure) => {
      reports.push({ release, failure });
    },
    log: { warn: (message, meta) => warnings.push({ message, meta }) },
    uiUrl: 'http://ui.example:8233',
    retry,
  });
  return { notifier: n, reports, warnings };
}

describe('webhook notifier (real HTTP receivers)', () => {
  test('each notified decision arrives once, signed, in the format asked for; others and unsubscribed moments are not sent', async () => {
    const json = await receiver();
    const slack = await receiver();
    const { notifier: n, reports } = notifier([
      { url: json.url, secretEnv: 'HOOK_SECRET' },
      { url: slack.url, format: 'slack', events: ['failed', 'succeeded'] },
    ]);
    n.record(recorded({ kind: 'stage_entered', stage: 'build' }), ORIGIN);
    n.record(recorded({ kind: 'approval_opened', deadline: '2026-12-05T15:00:00.000Z' }), ORIGIN);
    n.record(recorded({ kind: 'finished', outcome: 'succeeded' }), ORIGIN);
    n.record(recorded({ kind: 'finished', outcome: 'succeeded' }, 'release/api/2.0.0'), ORIGIN); // another service: no webhooks
    await n.idle();

    expect(json.received.map((r) => [r.json.event, r.json.kind])).toEqual([
      ['approval', 'approval_opened'],
      ['succeeded', 'finished'],
    ]);
    expect(json.allSignedWith(SECRET)).toBe(true);
    expect(json.received[0].json).toMatchObject({ source: 'gantry', service: 'web', version: '1.4.2', releaseWorkflowId: 'release/web/1.4.2', url: 'http://ui.example:8233/namespaces/default/workflows/release%2Fweb%2F1.4.2' });
    expect(slack.received).toHaveLength(1);
    expect(slack.received[0].json).toMatchObject({ text: 'web 1.4.2 succeeded', blocks: expect.any(Array) });
    expect(slack.received[0].signature).toBeUndefined(); // no secretEnv: unsigned
    expect(reports).toEqual([]);
  });

  test('a receiver that answers 500 then 200 gets the notification again, and takes it once', async () => {
    const flaky = await receiver((n) => (n === 1 ? 500 : 200));
    const { notifier: n, reports } = notifier([{ url: flaky.url, secretEnv: 'HOOK_SECRET' }]);
    n.record(recorded({ kind: 'finished', outcome: 'failed', reason: 'unit tests failed' }), ORIGIN);
    await n.idle();
    expect(flaky.received.map((r) => r.answer)).toEqual([500, 200]);
    expect(flaky.delivered).toHaveLength(1);
    // Each attempt is signed afresh, and both verify.
    expect(flaky.allSignedWith(SECRET)).toBe(true);
    expect(reports).toEqual([]);
  });

  test('one that always answers 500 is tried with growing waits, then reported to its release and logged without its path', async () => {
    const down = await receiver(() => 500);
    const secretPath = `${down.url}/T000/B000/xoxb-token`;
    const { notifier: n, reports, warnings } = notifier([{ url: secretPath }]);
    const started = Date.now();
    n.record(recorded({ kind: 'approval_opened', deadline: '2026-12-05T15:00:00.000Z' }), ORIGIN);
    await n.idle();
    expect(down.received).toHaveLength(3);
    // Waits of 50 then 100 ms between the three attempts.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(reports).toEqual([
      { release: 'release/web/1.4.2', failure: expect.objectContaining({ webhook: 0, origin: new URL(down.url).origin, event: 'approval', kind: 'approval_opened', attempts: 3, error: 'HTTP 500' }) },
    ]);
    expect(JSON.stringify({ reports, warnings })).not.toContain('xoxb-token');
  });

  test('one that never answers times out on each attempt and is reported', async () => {
    const hung = await receiver(() => 'hang');
    const { notifier: n, reports } = notifier([{ url: hung.url }], {}, { ...RETRY, timeoutMs: 400 });
    n.record(recorded({ kind: 'rolling_back', reason: 'error rate 30 % > limit 1 %' }, 'rollout/web/production/1.4.2'), ORIGIN);
    await n.idle();
    expect(hung.received).toHaveLength(3);
    expect(reports).toEqual([{ release: 'release/web/1.4.2', failure: expect.objectContaining({ event: 'rollback', kind: 'rolling_back', attempts: 3, error: 'no answer within 400 ms' }) }]);
  });

  test('a refusal (4xx) is not retried; a refused connection is', async () => {
    const refusing = await receiver(() => 404);
    const gone = await receiver();
    const goneUrl = gone.url;
    await gone.close();
    receivers.splice(receivers.indexOf(gone), 1);
    const { notifier: n, reports } = notifier([{ url: refusing.url }, { url: goneUrl }]);
    n.record(recorded({ kind: 'finished', outcome: 'aborted', reason: 'incident' }), ORIGIN);
    await n.idle();
    expect(refusing.received).toHaveLength(1);
    expect(reports.map((r) => [r.failure.webhook, r.failure.attempts, r.failure.error])).toEqual(
      expect.arrayContaining([
        [0, 1, 'HTTP 404 (not retried: the receiver refused the request)'],
        [1, 3, 'connection refused'],
      ]),
    );
  });

  test('a webhook whose secret the worker lacks is not sent unsigned: it is reported at once, naming the variable', async () => {
    const hook = await receiver();
    const { notifier: n, reports } = notifier([{ url: hook.url, secretEnv: 'MISSING_SECRET' }], {});
    n.record(recorded({ kind: 'finished', outcome: 'succeeded' }), ORIGIN);
    await n.idle();
    expect(hook.received).toEqual([]);
    expect(reports[0].failure).toMatchObject({ attempts: 0, error: 'the worker has no secret in MISSING_SECRET' });
  });

  test('a URL kept in a worker variable (urlEnv) is read at delivery', async () => {
    const hook = await receiver();
    const { notifier: n, reports } = notifier([{ urlEnv: 'SLACK_URL', format: 'slack' }], { SLACK_URL: hook.url });
    n.record(recorded({ kind: 'change_excepted', environment: 'production', exception: 'emergency', by: 'erin', reason: 'payments down', ticket: 'INC-1', passed: ['frozen'] }), ORIGIN);
    await n.idle();
    expect(hook.received.map((r) => r.json.text)).toEqual(['web 1.4.2 entered production as an emergency (INC-1) approved by erin, passing: frozen; payments down']);
    expect(reports).toEqual([]);
  });

  test('a hold decided again unchanged is not sent twice; a new hold is', async () => {
    const hook = await receiver();
    const { notifier: n } = notifier([{ url: hook.url, events: ['hold'] }]);
    const held: DecisionEvent = { kind: 'change_held', environment: 'production', untilLocal: 'Mon 06:00', hold: 'deploy window', reasons: ['weekend'] };
    n.record(recorded(held), ORIGIN);
    n.record(recorded(held), ORIGIN);
    n.record(recorded({ ...held, hold: 'freeze', untilLocal: 'Tue 06:00', reasons: ['incident'] }), ORIGIN);
    await n.idle();
    expect(hook.received.map((r) => r.json.hold)).toEqual(['deploy window', 'freeze']);
  });

  test('a graceful stop waits for deliveries in flight, but not for ever', async () => {
    const slow = await receiver();
    const hung = await receiver(() => 'hang');
    const { notifier: n } = notifier([{ url: slow.url }, { url: hung.url }], {}, { ...RETRY, timeoutMs: 30_000 });
    n.record(recorded({ kind: 'finished', outcome: 'succeeded' }), ORIGIN);
    const started = Date.now();
    await n.drain(500);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(slow.delivered).toHaveLength(1);
    expect(hung.received).toHaveLength(1); // still waiting for an answer when the drain gave up
  });
});
