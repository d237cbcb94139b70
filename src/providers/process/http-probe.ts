import http from 'node:http';

export type ProbeResult = { ok: true; status: number } | { ok: false; reason: string };

/**
 * One GET, answered or not within `timeoutMs`: ok for any 2xx. Never throws, because
 * "not answering yet" is the normal state of a service that is starting.
 * No keep-alive agent: a probe must not hold connections open to the service.
 */
export function probeHttp(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, reason: `HTTP ${status}` });
    });
    request.once('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.once('error', (err: NodeJS.ErrnoException) => {
      resolve({ ok: false, reason: err.code === 'ECONNREFUSED' ? 'connection refused' : err.message });
    });
  });
}
