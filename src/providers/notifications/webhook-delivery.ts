import { request } from 'undici';

/** How hard a notification is tried: attempts, the first wait between them (doubled each time, up to a cap), and each attempt's deadline. */
export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

/**
 * Five attempts over about half a minute (waits of 1, 2, 4 and 8 s, 5 s per attempt at
 * most): a receiver that restarts or blips gets the notification, and one that is down
 * costs the worker at most ~35 s of a background task per notification, never a release.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 1_000, maxDelayMs: 8_000, timeoutMs: 5_000 };

export type DeliveryResult = { ok: true; attempts: number; status: number } | { ok: false; attempts: number; error: string };

/** The wait before attempt `attempt + 1` (attempt counts from 1): exponential, capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (attempt - 1));
}

/** A receiver's answer worth trying again: it may be a moment's trouble (5xx, 429, 408). Any other 4xx says the request itself is wrong. */
function worthRetrying(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

async function attempt(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  try {
    const response = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'gantry-notifier', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The body is not used, but must be read (or dropped) so the connection is freed.
    await response.body.dump();
    return { status: response.statusCode };
  } catch (err) {
    const e = err as Error & { code?: string; name?: string };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { error: `no answer within ${timeoutMs} ms` };
    if (e.code === 'ECONNREFUSED') return { error: 'connection refused' };
    return { error: e.code ? `${e.code}: ${e.message}` : e.message };
  }
}

/**
 * POSTs `body` until a 2xx, a permanent refusal, or the attempts run out, waiting longer
 * each time. Never throws: a notification that could not be delivered is a result the
 * caller reports. `headers` is called for each attempt so a signature's timestamp is fresh.
 */
export async function deliverWebhook(
  url: string,
  body: string,
  headers: () => Record<string, string>,
  policy: RetryPolicy = DEFAULT_RETRY,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<DeliveryResult> {
  let error = 'not attempted';
  for (let n = 1; n <= policy.attempts; n++) {
    const answer = await attempt(url, body, headers(), policy.timeoutMs);
    if ('status' in answer && answer.status >= 200 && answer.status < 300) return { ok: true, attempts: n, status: answer.status };
    error = 'status' in answer ? `HTTP ${answer.status}` : answer.error;
    if ('status' in answer && !worthRetrying(answer.status)) return { ok: false, attempts: n, error: `${error} (not retried: the receiver refused the request)` };
    if (n < policy.attempts) await sleep(retryDelayMs(policy, n));
  }
  return { ok: false, attempts: policy.attempts, error };
}
