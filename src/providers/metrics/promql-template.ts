import { ROUTER_METRICS } from '../../contracts/router-protocol';
import type { MetricsQuery } from './metrics';

/**
 * PromQL templates for the three numbers an analysis needs, and how they are filled in.
 * The defaults read the metrics the embedded router exposes; a service whose traffic is
 * measured elsewhere overrides any of them in its config.
 */

export interface PromqlTemplates {
  /** Requests the version answered in the window (a count). */
  requests: string;
  /** Of those, 5xx answers plus requests that could not be forwarded (a count). */
  errors: string;
  /** p99 latency in milliseconds over the window; null for a source that has no latency to give (HAProxy 2.6). */
  latencyP99Ms: string | null;
}

export const PLACEHOLDERS = ['service', 'environment', 'version', 'role', 'window'] as const;

const SELECTOR = 'service="{{service}}",environment="{{environment}}",version="{{version}}"';

export const DEFAULT_PROMQL = {
  requests: `sum(increase(${ROUTER_METRICS.requests}{${SELECTOR}}[{{window}}]))`,
  errors: `sum(increase(${ROUTER_METRICS.requests}{${SELECTOR},code_class=~"5xx|error"}[{{window}}]))`,
  latencyP99Ms: `1000 * histogram_quantile(0.99, sum by (le) (rate(${ROUTER_METRICS.duration}_bucket{${SELECTOR}}[{{window}}])))`,
} satisfies PromqlTemplates;

const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;

/** Placeholders in a template that {@link fillTemplate} would not know; empty when it is fine. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
}

/**
 * Fills `{{service}}`, `{{environment}}`, `{{version}}`, `{{role}}` (`stable` or `canary`:
 * what a router that knows roles rather than versions, like HAProxy's `stable` and
 * `canary` servers, labels its metrics with) and `{{window}}`. Label values
 * are escaped for a double-quoted PromQL string, so a version like `1.0"}` stays a
 * value and cannot change the query; the window is a duration Gantry formats itself.
 */
export function fillTemplate(template: string, query: MetricsQuery): string {
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    service: escapeLabelValue(query.service),
    environment: escapeLabelValue(query.environment),
    version: escapeLabelValue(query.version),
    role: escapeLabelValue(query.role ?? ''),
    window: promDuration(query.windowMs),
  };
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in values ? values[name as keyof typeof values] : whole));
}

/** Escapes a value for the inside of a double-quoted PromQL string (Go string escapes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c);
}

/** A Prometheus duration for a window: whole seconds when it is, milliseconds otherwise (60000 → `60s`, 1500 → `1500ms`). */
export function promDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
