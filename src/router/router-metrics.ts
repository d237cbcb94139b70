import { Counter, Histogram, Registry } from 'prom-client';
import { ROUTER_METRICS } from '../contracts/router-protocol';

/** Status classes as the requests counter labels them; `error` is a request the router could not forward. */
export type CodeClass = '2xx' | '3xx' | '4xx' | '5xx' | 'error';

/** Upper bounds in seconds: from a fast cache hit to a request that is about to time out. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The router's Prometheus metrics, in a registry of its own so that only these are
 * exposed. Names come from {@link ROUTER_METRICS}, which the Prometheus provider's
 * default queries use too.
 */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'service' | 'environment' | 'version' | 'code_class'>;
  private readonly duration: Histogram<'service' | 'environment' | 'version'>;
  private readonly service: string;
  private readonly environment: string;

  constructor(service: string, environment: string) {
    this.service = service;
    this.environment = environment;
    this.requests = new Counter({
      name: ROUTER_METRICS.requests,
      help: 'Requests the router answered or failed to forward, by version and status class.',
      labelNames: ['service', 'environment', 'version', 'code_class'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: ROUTER_METRICS.duration,
      help: 'Time from the request reaching the router to the end of its answer, in seconds.',
      labelNames: ['service', 'environment', 'version'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  record(version: string, codeClass: CodeClass, seconds: number): void {
    const labels = { service: this.service, environment: this.environment, version };
    this.requests.inc({ ...labels, code_class: codeClass });
    this.duration.observe(labels, seconds);
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

export function codeClassOf(status: number): CodeClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}
