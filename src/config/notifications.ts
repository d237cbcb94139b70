import { z } from 'zod';
import { NOTIFICATION_EVENTS, WEBHOOK_FORMATS } from '../shared/notifications';

/**
 * `notifications:` of a service: webhooks told of its releases' moments (awaiting
 * approval, held, emergency used, rollback, success, failure). What a webhook is sent
 * and how it is signed is the worker's (src/providers/notifications); this is only what
 * the platform writes.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const envName = (what: string) =>
  z
    .string()
    .regex(ENV_NAME, 'an environment variable name: letters, digits and _, not starting with a digit')
    .refine((name) => !name.startsWith('TEMPORAL_'), "the worker's Temporal settings are never sent anywhere; name a variable of its own")
    .describe(what);

/** Why not `z.url()`: it accepts any scheme, and a webhook must be plain HTTP(S) with nothing secret in the part that is shown. */
function webhookUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an http:// or https:// URL, e.g. https://hooks.example.com/gantry';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, not ${url.protocol}`;
  // The catalogue travels into every release's history: a password in the URL would too.
  if (url.username || url.password) return 'must not carry a user or password; a webhook whose URL is a secret is given with urlEnv';
  return undefined;
}

/** Where a webhook is and how it is signed: the same for a service's notifications and for the review. */
const webhookTarget = {
  url: z
    .string()
    .superRefine((text, ctx) => {
      const problem = webhookUrlProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe('Where notifications are POSTed: an http:// or https:// URL. It is recorded with the release (a URL that is itself a secret, such as a Slack incoming webhook, goes in urlEnv).'),
  urlEnv: envName('The worker environment variable that holds the URL instead, for URLs that are secrets (Slack incoming webhooks carry their token in the path).').optional(),
  format: z.enum(WEBHOOK_FORMATS).default('json').describe('slack: a Slack-compatible body (text and blocks); json: a plain JSON document.'),
  secretEnv: envName(
    'The worker environment variable that holds the HMAC secret: each request then carries X-Gantry-Timestamp and X-Gantry-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">. The secret itself never goes in the catalogue.',
  ).optional(),
};

/** Exactly one of url and urlEnv. */
function oneUrl(webhook: { url?: string; urlEnv?: string }, ctx: z.RefinementCtx): void {
  if ((webhook.url === undefined) === (webhook.urlEnv === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'give the webhook either url or urlEnv (one of them)' });
  }
}

export const WebhookSchema = z
  .strictObject({
    ...webhookTarget,
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .min(1, `list at least one event, or leave events out for all of them (${NOTIFICATION_EVENTS.join(', ')})`)
      .default([...NOTIFICATION_EVENTS])
      .describe(`Which moments are sent: ${NOTIFICATION_EVENTS.join(', ')} (default all).`),
  })
  .superRefine(oneUrl)
  .describe('A webhook told of releases of this service.');

export const ReviewSchema = z
  .strictObject({
    webhooks: z
      .array(z.strictObject(webhookTarget).superRefine(oneUrl).describe('A webhook sent each quarterly review.'))
      .default([])
      .describe('Webhooks sent the quarterly review when it is made: its headline figures and where its files are.'),
  })
  .describe('The quarterly review (gantry review schedule): who is sent it.');

export type ReviewConfig = z.output<typeof ReviewSchema>;

export const NotificationsSchema = z
  .strictObject({
    webhooks: z.array(WebhookSchema).default([]).describe('Webhooks told of this service\'s releases; a failing one never holds or fails a release.'),
  })
  .describe("Who is told of this service's releases: awaiting approval, held by a window or freeze, emergency used, rollback, success and failure.");

export type WebhookConfig = z.output<typeof WebhookSchema>;
export type NotificationsConfig = z.output<typeof NotificationsSchema>;

/**
 * A webhook's secret or secret URL handed to the service's own commands would let any
 * commit's build sign notifications of its own (or post to the channel): refuse a
 * service whose passEnv names one.
 */
export function notificationSecretProblems(passEnv: readonly string[], notifications: NotificationsConfig | undefined): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  notifications?.webhooks.forEach((webhook, index) => {
    for (const field of ['secretEnv', 'urlEnv'] as const) {
      const name = webhook[field];
      if (name && passEnv.includes(name)) {
        problems.push({ path: ['notifications', 'webhooks', index, field], message: `${name} is also in passEnv: the service's build, tests and smoke test would see it; keep the webhook's ${field === 'secretEnv' ? 'secret' : 'URL'} in a variable of its own` });
      }
    }
  });
  return problems;
}
