import http from 'node:http';
import https from 'node:https';

/** What a metrics source said, or why it said nothing. */
export type HttpAnswer = { kind: 'answered'; status: number; body: string } | { kind: 'failed'; reason: string };

/** Bodies past this size are not metrics answers; stop reading rather than fill memory. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * One GET with a deadline for the whole exchange (connect, headers and body), not just
 * for an idle socket: a source that trickles bytes must not stall an analysis. Never
 * throws, because a source that does not answer is a measurement (`unreachable`), not a
 * failure. No keep-alive agent, so nothing is left holding a socket between checks.
 */
export function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      resolve({ kind: 'failed', reason: `${url} is not an http(s) URL` });
      return;
    }

    const client = parsed.protocol === 'https:' ? https : http;
    const request = client.get(parsed, { agent: false, headers: { accept: 'application/json, text/plain' } }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) request.destroy(new Error(`answer larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.once('end', () => settle({ kind: 'answered', status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.once('error', fail);
    });
    request.once('error', fail);
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);

    // Request and response events arrive only after this executor has returned, so
    // `deadline` is always set by the time these run.
    let settled = false;
    function settle(answer: HttpAnswer): void {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(answer);
    }
    function fail(err: NodeJS.ErrnoException): void {
      settle({ kind: 'failed', reason: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message });
    }
  });
}
