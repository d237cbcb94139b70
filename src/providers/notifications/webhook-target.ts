import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './webhook-signature';

/** Where a webhook goes and with what secret, read from the worker's environment at delivery; or why it cannot be sent. */
export type WebhookTarget = { ok: true; url: string; origin: string; secret?: string } | { ok: false; origin: string; error: string };

/**
 * Resolves a webhook as the catalogue writes it (`url` or `urlEnv`, `secretEnv`). Only the
 * URL's origin is ever shown (a path may carry a token). A webhook whose catalogue entry
 * says it is signed is never sent unsigned: the receiver would have to refuse it anyway.
 */
export function resolveWebhook(webhook: { url?: string; urlEnv?: string; secretEnv?: string }, env: Readonly<Record<string, string | undefined>>): WebhookTarget {
  const url = webhook.url ?? (webhook.urlEnv ? env[webhook.urlEnv] : undefined);
  const secret = webhook.secretEnv ? env[webhook.secretEnv] : undefined;
  if (!url || !URL.canParse(url)) return { ok: false, origin: `(${webhook.urlEnv ?? 'no url'})`, error: `the worker's ${webhook.urlEnv} does not hold an http(s) URL` };
  const origin = new URL(url).origin;
  if (webhook.secretEnv && !secret) return { ok: false, origin, error: `the worker has no secret in ${webhook.secretEnv}` };
  return { ok: true, url, origin, ...(secret ? { secret } : {}) };
}

/** The signing headers for each attempt (a fresh timestamp each time); none without a secret. */
export function signingHeaders(secret: string | undefined, body: string, nowMs: () => number = Date.now): () => Record<string, string> {
  return (): Record<string, string> => {
    if (!secret) return {};
    const timestamp = Math.floor(nowMs() / 1000);
    return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body) };
  };
}
