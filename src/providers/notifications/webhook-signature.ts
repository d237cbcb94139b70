import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How Gantry signs a webhook and how a receiver checks it. The signature covers the
 * timestamp and the body (`<timestamp>.<body>`), so a receiver that refuses old
 * timestamps also refuses a recorded request sent again:
 *
 *   X-Gantry-Timestamp: 1764633600
 *   X-Gantry-Signature: sha256=<hex HMAC-SHA256(secret, "1764633600.<raw body>")>
 */

export const SIGNATURE_HEADER = 'x-gantry-signature';
export const TIMESTAMP_HEADER = 'x-gantry-timestamp';

/** How far a receiver lets a timestamp stray from its own clock by default: five minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The X-Gantry-Signature value for a body sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver does with a request: recompute the HMAC over the raw body it received
 * (before any JSON parsing) and compare in constant time, then refuse a timestamp more
 * than `toleranceSeconds` from its own clock. No I/O: the caller passes its clock.
 */
export function verifyWebhookSignature(request: {
  secret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowSeconds: number;
  toleranceSeconds?: number;
}): SignatureCheck {
  const { secret, body, signature, timestamp, nowSeconds } = request;
  if (!signature || !timestamp) return { ok: false, reason: 'the request carries no X-Gantry-Signature or no X-Gantry-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Gantry-Timestamp is not a Unix time in seconds' };
  const expected = Buffer.from(signWebhook(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the signature does not match the body and timestamp' };
  const tolerance = request.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - Number(timestamp)) > tolerance) return { ok: false, reason: `the timestamp is more than ${tolerance} s from now (a replayed request?)` };
  return { ok: true };
}
