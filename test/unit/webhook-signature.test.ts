import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhookSignature } from '../../src/providers/notifications/webhook-signature';
import { webhookBody } from '../../src/providers/notifications/webhook-payload';
import type { Notice } from '../../src/policy/notification-events';

const SECRET = 'hook-secret';
const BODY = '{"event":"succeeded"}';
const NOW = 1_764_633_600;

describe('webhook signatures', () => {
  test('the signature is the hex HMAC-SHA256 of "<timestamp>.<body>", prefixed sha256=', () => {
    const expected = createHmac('sha256', SECRET).update(`${NOW}.${BODY}`).digest('hex');
    expect(signWebhook(SECRET, NOW, BODY)).toBe(`sha256=${expected}`);
  });

  test('a receiver accepts a fresh, untouched request', () => {
    expect(verifyWebhookSignature({ secret: SECRET, body: BODY, timestamp: String(NOW), signature: signWebhook(SECRET, NOW, BODY), nowSeconds: NOW + 10 })).toEqual({ ok: true });
  });

  test.each([
    ['a changed body', { body: '{"event":"failed"}' }, /does not match/],
    ['another secret', { secret: 'guess' }, /does not match/],
    ['a changed timestamp (the signature covers it)', { timestamp: String(NOW + 1) }, /does not match/],
    ['an old request sent again', { nowSeconds: NOW + 301 }, /more than 300 s from now/],
    ['no signature', { signature: undefined }, /no X-Gantry-Signature/],
    ['a timestamp that is no number', { timestamp: '12abc' }, /not a Unix time/],
  ])('a receiver refuses %s', (_what, change, reason) => {
    const request = { secret: SECRET, body: BODY, timestamp: String(NOW), signature: signWebhook(SECRET, NOW, BODY) as string | undefined, nowSeconds: NOW, ...change };
    const check = verifyWebhookSignature(request);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(reason);
  });
});

describe('webhook bodies', () => {
  const notice: Notice = {
    event: 'approval',
    kind: 'approval_opened',
    seq: 12,
    at: '2026-12-04T15:00:00.000Z',
    service: 'web',
    version: '1.4.2',
    releaseWorkflowId: 'release/web/1.4.2',
    workflowId: 'release/web/1.4.2',
    text: 'web 1.4.2 is awaiting approval (until 2026-12-05T15:00:00.000Z)',
  };
  const ui = { url: 'http://localhost:8233/', namespace: 'default' };

  test('slack: text for the notification, blocks for the message, a link to the release in the UI', () => {
    expect(JSON.parse(webhookBody(notice, 'slack', ui))).toEqual({
      text: notice.text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*web 1.4.2*: ${notice.text}` } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'release `release/web/1.4.2` · event *approval* · <http://localhost:8233/namespaces/default/workflows/release%2Fweb%2F1.4.2|open in Temporal UI>' }] },
      ],
    });
  });

  test('json: every fact flat; the link only when the worker knows the UI', () => {
    expect(JSON.parse(webhookBody(notice, 'json'))).toEqual({ source: 'gantry', ...notice });
    expect(JSON.parse(webhookBody(notice, 'json', ui)).url).toBe('http://localhost:8233/namespaces/default/workflows/release%2Fweb%2F1.4.2');
  });
});
