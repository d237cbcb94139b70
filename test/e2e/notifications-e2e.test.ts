import YAML from 'yaml';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { WebhookReceiver } from '../support/webhook-receiver';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Notifications as `gantry worker` sends them: the webhooks come from the platform's
 * catalogue, the secret from the worker's environment, the UI link from GANTRY_UI_URL;
 * a failing webhook is given up on after the default retries (about 15 s) and shows in
 * `gantry release status` while the release waits for its approver, then ships.
 */

const SECRET_VARIABLE = 'GANTRY_E2E_WEBHOOK_SECRET';
const SECRET = 'e2e-webhook-secret-4242';
const UI_URL = 'http://temporal-ui.example:8233';

let stack: E2EStack;
let good: WebhookReceiver;
let failing: WebhookReceiver;
const saved = { secret: process.env[SECRET_VARIABLE], ui: process.env.GANTRY_UI_URL };

beforeAll(async () => {
  good = await WebhookReceiver.start();
  failing = await WebhookReceiver.start(() => 500);
  // The worker runs in this process: its environment is this one.
  process.env[SECRET_VARIABLE] = SECRET;
  process.env.GANTRY_UI_URL = UI_URL;
  stack = await startE2EStack('notify', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      doc.services.web.notifications = {
        webhooks: [
          { url: good.url, format: 'json', secretEnv: SECRET_VARIABLE },
          { url: failing.url, format: 'slack', events: ['approval', 'succeeded'] },
        ],
      };
      return YAML.stringify(doc);
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await good?.close();
  await failing?.close();
  for (const [name, value] of [[SECRET_VARIABLE, saved.secret], ['GANTRY_UI_URL', saved.ui]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const status = (version: string) => stack.client.workflow.getHandle(releaseWorkflowId('web', version)).query(statusQuery);
const reaches = (version: string, check: (s: ReleaseStatus) => boolean) =>
  eventually(`web ${version} to reach the expected state`, async () => {
    const s = await status(version);
    return check(s) ? s : undefined;
  }, 120_000);

test('the catalogue\'s webhooks hear of a release; a failing one is in gantry release status and the release ships', async () => {
  const version = '8.4.0'; // unique to this file: release IDs are shared by every e2e file on the dev server
  const started = await stack.gantry(['release', 'start', '--service', 'web', '--version', version, '--commit', stack.commit, '--author', 'alice']);
  expect(started.code).toBe(0);

  const waiting = await reaches(version, (s) => s.stage === 'approval' && (s.notificationFailures?.length ?? 0) > 0);
  expect(waiting.notificationFailures).toEqual([expect.objectContaining({ webhook: 1, event: 'approval', attempts: 5, error: 'HTTP 500' })]);
  const shown = await stack.gantry(['release', 'status', 'web', version]);
  expect(shown.stdout).toMatch(/notification not delivered: approval \(approval_opened #\d+\) to webhook 1 at http:\/\/127\.0\.0\.1:\d+, 5 attempts, gave up at .*: HTTP 500/);

  const approved = await stack.gantry(['release', 'approve', 'web', version, '--as', 'bob']);
  expect(approved.code).toBe(0);
  await reaches(version, (s) => s.outcome !== undefined);
  expect((await status(version)).outcome).toBe('succeeded');

  const delivered = await eventually('the success notification', async () => (good.delivered.length >= 2 ? good.delivered : undefined), 30_000);
  expect(delivered.map((r) => r.json.event)).toEqual(['approval', 'succeeded']);
  expect(good.allSignedWith(SECRET)).toBe(true);
  expect(delivered[1].json).toMatchObject({
    source: 'gantry',
    service: 'web',
    version,
    outcome: 'succeeded',
    releaseWorkflowId: `release/web/${version}`,
    url: `${UI_URL}/namespaces/default/workflows/${encodeURIComponent(`release/web/${version}`)}`,
  });
  expect(failing.received[0].json).toMatchObject({ text: expect.stringMatching(/^web 8\.4\.0 is awaiting approval/), blocks: expect.any(Array) });

  // The success notification fails after the release has ended: the worker stores the failure beside the release's record.
  const stored = await eventually(
    'the failed success notification in the audit store',
    async () => {
      const shown = await stack.gantry(['audit', 'show', 'web', version, '--json']);
      const entries = shown.code === 0 ? (JSON.parse(shown.stdout) as { event: { kind: string; seq: number; failure?: { event: string } } }[]) : [];
      return entries.find((e) => e.event.kind === 'notification_failed' && e.event.failure?.event === 'succeeded');
    },
    90_000,
  );
  expect(stored.event).toMatchObject({ seq: 0, failure: { webhook: 1, event: 'succeeded', kind: 'finished', attempts: 5, error: 'HTTP 500' } });
  expect(failing.received).toHaveLength(10);
  expect((await stack.gantry(['audit', 'verify'])).code).toBe(0);
}, 300_000);
