import { z } from 'zod';
import type { Measurement } from '../../contracts/measurements';
import type { RouterAdminClient } from '../../router/router-admin-client';
import { readRouterRecord, routerAdminClient } from '../router/embedded-router-provider';
import type { MetricsProvider, MetricsQuery, ProbeAnswer, ProbeScope } from './metrics';

/**
 * Measures through the embedded router's own counters: every service environment has a
 * router that records what it forwarded, and answers `GET /stats?windowMs=N` on its
 * admin port to whoever holds its token (the file its record names). Nothing to install; the numbers are the traffic the router really saw.
 */

export interface EmbeddedMetricsOptions {
  /** Where the embedded routers record themselves: `<GANTRY_HOME>/routers`. */
  routersRoot: string;
  /** Per request to a router's admin port; default 5 s. */
  timeoutMs?: number;
}

// The router's answer crosses a process boundary: check it rather than trust a cast.
const nullableMs = z.number().nonnegative().nullish();

const StatsSchema = z.object({
  windowMs: z.number(),
  versions: z.record(
    z.string(),
    z.object({
      requests: z.number().nonnegative(),
      errors: z.number().nonnegative(),
      latencyMs: z.object({ p50: nullableMs, p99: nullableMs }).partial().default({}),
      latencyHistogram: z.array(z.tuple([z.number().nonnegative(), z.number().int().nonnegative()])).optional(),
    }),
  ),
});

type Stats = z.infer<typeof StatsSchema>;
type StatsAnswer = { kind: 'stats'; stats: Stats } | { kind: 'unreachable'; reason: string };

/** The window a probe asks for: any valid one proves the router answers, and a short one is the least for it to sum. */
const PROBE_WINDOW_MS = 1_000;

export class EmbeddedMetricsProvider implements MetricsProvider {
  private readonly routersRoot: string;
  private readonly timeoutMs: number;

  constructor(options: EmbeddedMetricsOptions) {
    this.routersRoot = options.routersRoot;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async measure(query: MetricsQuery): Promise<Measurement> {
    const answer = await this.readStats(query, query.windowMs);
    if (answer.kind === 'unreachable') return answer;

    const where = `${query.service}/${query.environment}`;
    const seconds = `${query.windowMs / 1000} s`;
    const counts = answer.stats.versions[query.version];
    if (!counts || counts.requests === 0) {
      return { kind: 'noData', reason: `the router of ${where} forwarded no request to version ${query.version} in the last ${seconds}` };
    }
    const latencyMs: { p50?: number; p99?: number } = {};
    if (typeof counts.latencyMs.p50 === 'number') latencyMs.p50 = counts.latencyMs.p50;
    if (typeof counts.latencyMs.p99 === 'number') latencyMs.p99 = counts.latencyMs.p99;
    return {
      kind: 'value',
      requests: counts.requests,
      errors: counts.errors,
      errorRate: Math.min(1, counts.errors / counts.requests),
      latencyMs,
      ...(counts.latencyHistogram ? { latencyHistogram: counts.latencyHistogram } : {}),
    };
  }

  /**
   * Online when the environment's router is recorded and its admin port answers `/stats`
   * with stats: exactly what {@link measure} will need, so a probe that passes means the
   * next measurement can be made.
   */
  async probe(scope: ProbeScope): Promise<ProbeAnswer> {
    const answer = await this.readStats(scope, PROBE_WINDOW_MS);
    return answer.kind === 'stats' ? { online: true } : { online: false, reason: answer.reason };
  }

  /** The environment's router stats over the window, or why there are none: the part measuring and probing share. */
  private async readStats(scope: ProbeScope, windowMs: number): Promise<StatsAnswer> {
    const where = `${scope.service}/${scope.environment}`;
    let admin: RouterAdminClient;
    try {
      const record = await readRouterRecord(this.routersRoot, scope.service, scope.environment);
      if (!record) {
        return { kind: 'unreachable', reason: `no embedded router is recorded for ${where} under ${this.routersRoot}; it starts with the first rollout to that environment` };
      }
      admin = await routerAdminClient(record, this.timeoutMs);
    } catch (err) {
      return { kind: 'unreachable', reason: `the router record of ${where} under ${this.routersRoot} cannot be used: ${errorMessage(err)}` };
    }
    const adminUrl = admin.adminUrl;

    try {
      // Throws with the admin URL and what went wrong: no answer, a timeout, or non-2xx.
      const answer = await admin.stats(windowMs);
      const parsed = StatsSchema.safeParse(answer);
      if (!parsed.success) {
        return { kind: 'unreachable', reason: `the router of ${where} at ${adminUrl} answered something that is not its stats: ${errorMessage(parsed.error)}` };
      }
      return { kind: 'stats', stats: parsed.data };
    } catch (err) {
      return { kind: 'unreachable', reason: `the router of ${where}: ${errorMessage(err)}` };
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof z.ZodError) return z.prettifyError(err).replace(/\n/g, '; ');
  return err instanceof Error ? err.message : String(err);
}
