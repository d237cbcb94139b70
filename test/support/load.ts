import { VERSION_HEADER } from '../../src/contracts/headers';

/**
 * A bounded load generator for end-to-end tests: a few concurrent loops of real HTTP
 * requests to a loopback URL, each loop pausing briefly between requests, counting
 * which version answered and how. It stops by itself after `maxMs` at the latest.
 */
export interface Load {
  /** Answers per version (from the router's version header) and status class. */
  counts: Map<string, { ok: number; failed: number }>;
  stop(): Promise<void>;
  /** When each version first answered with a failure, and last answered at all (ms since the epoch). */
  firstFailedAt: Map<string, number>;
  lastServedAt: Map<string, number>;
  /** Forget what was counted so far. */
  reset(): void;
}

export function startLoad(url: string, options: { concurrency?: number; pauseMs?: number; maxMs?: number; userKeys?: boolean } = {}): Load {
  const counts = new Map<string, { ok: number; failed: number }>();
  const firstFailedAt = new Map<string, number>();
  const lastServedAt = new Map<string, number>();
  let stopped = false;
  const deadline = Date.now() + (options.maxMs ?? 120_000);
  let user = 0;
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      user += 1;
      try {
        const headers: Record<string, string> = options.userKeys ? { 'x-gantry-user': `user-${user % 500}` } : {};
        const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        const version = response.headers.get(VERSION_HEADER) ?? 'none';
        const entry = counts.get(version) ?? { ok: 0, failed: 0 };
        if (response.status < 500) entry.ok += 1;
        else entry.failed += 1;
        const at = Date.now();
        lastServedAt.set(version, at);
        if (response.status >= 500 && !firstFailedAt.has(version)) firstFailedAt.set(version, at);
        counts.set(version, entry);
      } catch {
        const entry = counts.get('unreachable') ?? { ok: 0, failed: 0 };
        entry.failed += 1;
        counts.set('unreachable', entry);
      }
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 10));
    }
  };
  const loops = Array.from({ length: options.concurrency ?? 4 }, loop);
  return {
    counts,
    firstFailedAt,
    lastServedAt,
    reset: () => {
      counts.clear();
      firstFailedAt.clear();
      lastServedAt.clear();
    },
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
