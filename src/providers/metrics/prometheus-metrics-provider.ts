import type { Measurement } from '../../contracts/measurements';
import { httpGet } from './http-get';
import type { MetricsProvider, MetricsQuery, ProbeAnswer, ProbeScope } from './metrics';
import { DEFAULT_PROMQL, PLACEHOLDERS, fillTemplate, unknownPlaceholders, type PromqlTemplates } from './promql-template';

/**
 * Measures with PromQL instant queries over Prometheus's HTTP API
 * (`GET /api/v1/query?query=…`). Each of requests, errors and p99 latency is one query
 * that must come back as one number; the defaults read the embedded router's metrics.
 */

export interface PrometheusMetricsOptions {
  /** Prometheus base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept). */
  url: string;
  /** Per-service overrides of the default PromQL; see {@link DEFAULT_PROMQL} for what each must return. */
  queries?: Partial<PromqlTemplates>;
  /** Per HTTP request; default 5 s. */
  timeoutMs?: number;
}

/** What a probe asks: a constant, so the answer needs no data and is known in advance. */
const PROBE_QUERY = '1';

/** The latency outcome of a source configured without a latency query. */
const NOT_MEASURED = { kind: 'empty' } as const;

/** One instant query's outcome, before the three are put together. */
type QueryOutcome =
  | { kind: 'number'; value: number }
  /** An empty vector: no series matched in the window. */
  | { kind: 'empty' }
  /** An answer that is not one finite number (NaN, several series, a matrix). */
  | { kind: 'unusable'; why: string }
  | { kind: 'unreachable'; reason: string };

export class PrometheusMetricsProvider implements MetricsProvider {
  /** With a trailing slash, so relative API paths keep any path prefix of the URL. */
  private readonly base: string;
  /** The URL as people wrote it, for reasons. */
  private readonly shown: string;
  private readonly templates: PromqlTemplates;
  private readonly timeoutMs: number;

  constructor(options: PrometheusMetricsOptions) {
    this.shown = options.url.replace(/\/+$/, '');
    this.base = `${this.shown}/`;
    this.templates = { ...DEFAULT_PROMQL, ...stripUndefined(options.queries ?? {}) };
    this.timeoutMs = options.timeoutMs ?? 5_000;
    // A misspelt placeholder would reach Prometheus verbatim and fail every check of
    // every rollout; say so once, where the config is read.
    for (const [name, template] of Object.entries(this.templates)) {
      if (template === null) continue;
      const unknown = unknownPlaceholders(template);
      if (unknown.length > 0) {
        throw new Error(
          `metrics.queries.${name} uses ${unknown.map((u) => `{{${u}}}`).join(', ')}; the placeholders are ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
        );
      }
    }
  }

  async measure(query: MetricsQuery): Promise<Measurement> {
    const promql = {
      requests: fillTemplate(this.templates.requests, query),
      errors: fillTemplate(this.templates.errors, query),
      latencyP99Ms: this.templates.latencyP99Ms === null ? null : fillTemplate(this.templates.latencyP99Ms, query),
    };
    const [requests, errors, latency] = await Promise.all([
      this.instantQuery(promql.requests),
      this.instantQuery(promql.errors),
      promql.latencyP99Ms === null ? NOT_MEASURED : this.instantQuery(promql.latencyP99Ms),
    ]);

    if (requests.kind === 'unreachable') return requests;
    if (errors.kind === 'unreachable') return errors;
    if (latency.kind === 'unreachable') return latency;

    const subject = `version ${query.version} of ${query.service}/${query.environment}`;
    if (requests.kind !== 'number' || requests.value <= 0) {
      const why = requests.kind === 'number' ? `returned ${requests.value}` : describe(requests);
      return { kind: 'noData', reason: `Prometheus at ${this.shown} has no requests for ${subject}: ${promql.requests} ${why}` };
    }
    // A counter label set that never occurred has no series at all, so "no errors" is
    // usually an empty result rather than 0.
    if (errors.kind === 'unusable') {
      return { kind: 'noData', reason: `Prometheus at ${this.shown} has no error count for ${subject}: ${promql.errors} ${errors.why}` };
    }
    const errorCount = errors.kind === 'number' ? errors.value : 0;

    return {
      kind: 'value',
      requests: requests.value,
      errors: errorCount,
      // increase() extrapolates each series separately, so errors can edge past requests.
      errorRate: Math.min(1, Math.max(0, errorCount / requests.value)),
      latencyMs: latency.kind === 'number' ? { p99: latency.value } : {},
      ...(promql.latencyP99Ms === null ? { latencyUnmeasured: 'the metrics source has no latency query (metrics.queries.latencyP99Ms: null)' } : {}),
    };
  }

  /**
   * Online when the query API answers the constant query `1` with 1: the same path,
   * parsing and timeout every measurement uses, so a yes means measuring can work
   * (`/-/ready` would vouch for the server but not for the API a measurement calls). The
   * scope is not needed: one Prometheus answers for every service environment.
   */
  async probe(_scope: ProbeScope): Promise<ProbeAnswer> {
    const outcome = await this.instantQuery(PROBE_QUERY);
    if (outcome.kind === 'unreachable') return { online: false, reason: outcome.reason };
    if (outcome.kind === 'number' && outcome.value === 1) return { online: true };
    const what = outcome.kind === 'number' ? `returned ${outcome.value}` : describe(outcome);
    return { online: false, reason: `Prometheus at ${this.shown} is not answering queries properly: ${PROBE_QUERY} ${what}` };
  }

  private async instantQuery(promql: string): Promise<QueryOutcome> {
    const url = new URL('api/v1/query', this.base);
    url.searchParams.set('query', promql);
    const answer = await httpGet(url.href, this.timeoutMs);
    if (answer.kind === 'failed') return { kind: 'unreachable', reason: `Prometheus at ${this.shown} did not answer: ${answer.reason}` };

    const body = parseJson(answer.body);
    if (isRecord(body) && body.status === 'error') {
      return { kind: 'unreachable', reason: `Prometheus at ${this.shown} refused ${promql}: ${String(body.errorType)}: ${String(body.error)}` };
    }
    if (answer.status < 200 || answer.status > 299 || !isRecord(body) || body.status !== 'success' || !isRecord(body.data)) {
      return { kind: 'unreachable', reason: `Prometheus at ${this.shown} answered HTTP ${answer.status} to ${promql}: ${answer.body.slice(0, 200)}` };
    }
    return oneNumber(body.data);
  }
}

function describe(outcome: { kind: 'empty' } | { kind: 'unusable'; why: string }): string {
  return outcome.kind === 'empty' ? 'returned an empty result (no matching series in the window)' : outcome.why;
}

/** Reads the single number out of a successful query's `data`. */
function oneNumber(data: Record<string, unknown>): QueryOutcome {
  let sample: unknown;
  if (data.resultType === 'scalar') {
    sample = data.result;
  } else if (data.resultType === 'vector' && Array.isArray(data.result)) {
    if (data.result.length === 0) return { kind: 'empty' };
    if (data.result.length > 1) return { kind: 'unusable', why: `returned ${data.result.length} series; it must return one number (aggregate it, e.g. with sum())` };
    const first: unknown = data.result[0];
    sample = isRecord(first) ? first.value : undefined;
  } else {
    return { kind: 'unusable', why: `returned a ${String(data.resultType)}; it must return one number (an instant vector of one series, or a scalar)` };
  }
  // Samples are [unix seconds, "value"]; the value is a string so NaN and ±Inf survive JSON.
  const value = Array.isArray(sample) ? Number(String(sample[1]).replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')) : NaN;
  // Only finite numbers cross a Temporal payload (JSON) intact.
  if (!Number.isFinite(value)) return { kind: 'unusable', why: `returned ${Array.isArray(sample) ? String(sample[1]) : 'no sample'}` };
  return { kind: 'number', value };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
