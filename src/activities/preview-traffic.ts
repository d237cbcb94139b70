import { Context } from '@temporalio/activity';
import { PREVIEW_HEADER } from '../contracts/headers';

export interface PreviewTrafficInput {
  /** The router's public URL. */
  url: string;
  requests: number;
  /** Path to request; defaults to `/`. */
  path?: string;
}

export interface PreviewTrafficResult {
  sent: number;
  /** Answers by HTTP status class (2xx, 5xx, …) and `error` for failed connections. */
  byStatus: Record<string, number>;
}

/**
 * Sends real requests through the router with the preview header, so the version under
 * test (green before the switch) serves them and the metrics have something to judge.
 * Bounded: `requests` sequential requests, each with a 5 s timeout.
 */
export function createPreviewTrafficActivities() {
  return {
    async sendPreviewTraffic(input: PreviewTrafficInput): Promise<PreviewTrafficResult> {
      const ctx = Context.current();
      const byStatus: Record<string, number> = {};
      const target = new URL(input.path ?? '/', input.url).toString();
      for (let i = 0; i < input.requests; i++) {
        if (ctx.cancellationSignal.aborted) break;
        let key = 'error';
        try {
          const response = await fetch(target, { headers: { [PREVIEW_HEADER]: 'always' }, signal: AbortSignal.timeout(5_000) });
          await response.arrayBuffer();
          key = `${Math.floor(response.status / 100)}xx`;
        } catch {
          // A failed request is a measurement too; the router counts it.
        }
        byStatus[key] = (byStatus[key] ?? 0) + 1;
        if (i % 10 === 0) ctx.heartbeat({ sent: i });
      }
      return { sent: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus };
    },
  };
}
