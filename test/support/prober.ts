import { VERSION_HEADER } from '../../src/contracts/headers';

/** A request that found production dark: the router had no route, or nothing answered behind it. */
export interface DarkAnswer {
  at: string;
  status: number | 'unreachable';
  version: string;
  body: string;
}

/**
 * A continuous prober for rollout tests: one request at a time through the router for
 * as long as the test runs, recording every answer that means production was dark —
 * the router's own 503 (no routes, or no server up behind HAProxy) or 502 (the version it
 * routed to did not answer), or no answer at all. A service's own 5xx (a bad canary) is not dark: something served it.
 * It stops by itself after `maxMs`.
 */
export interface Prober {
  dark: DarkAnswer[];
  /** Answers seen per version. */
  answered: Map<string, number>;
  stop(): Promise<void>;
}

export function startProber(url: string, options: { pauseMs?: number; maxMs?: number } = {}): Prober {
  const dark: DarkAnswer[] = [];
  const answered = new Map<string, number>();
  let stopped = false;
  const deadline = Date.now() + (options.maxMs ?? 600_000);
  let n = 0;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      n += 1;
      try {
        const response = await fetch(url, { headers: { 'x-gantry-user': `prober-${n % 100}` }, signal: AbortSignal.timeout(5_000) });
        const body = await response.text();
        const version = response.headers.get(VERSION_HEADER) ?? 'none';
        answered.set(version, (answered.get(version) ?? 0) + 1);
        // The service answers JSON; a 502 or 503 in any other form is the router's own
        // (the embedded router's text, HAProxy's HTML page): nothing served the request.
        const fromService = (response.headers.get('content-type') ?? '').startsWith('application/json');
        if ((response.status === 502 || response.status === 503) && !fromService) {
          dark.push({ at: new Date().toISOString(), status: response.status, version, body: body.trim().slice(0, 200) });
        }
      } catch (err) {
        dark.push({ at: new Date().toISOString(), status: 'unreachable', version: 'none', body: String(err).slice(0, 200) });
      }
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 10));
    }
  })();
  return {
    dark,
    answered,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
