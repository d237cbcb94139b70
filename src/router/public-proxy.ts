import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type pino from 'pino';
import { VERSION_HEADER } from '../contracts/headers';
import type { Route } from '../contracts/routes';
import { chooseRoute } from './choose-route';
import type { RoutingPolicy } from './choose-route';
import type { BackendPools } from './backend-pools';
import { forwardRequest } from './forward-request';
import { requestFacts } from './request-facts';
import type { RollingStats } from './rolling-stats';
import { codeClassOf } from './router-metrics';
import type { CodeClass, RouterMetrics } from './router-metrics';

export interface PublicProxyDeps {
  service: string;
  environment: string;
  /** Read on every request: whoever holds it swaps the policy for a new table. */
  state: { readonly policy: RoutingPolicy };
  stats: RollingStats;
  metrics: RouterMetrics;
  /** Connections to the backends; whoever changes the policy closes the pools of backends that left it. */
  pools: BackendPools;
  log: pino.Logger;
}

/** A backend that takes longer than this to start its answer, or goes quiet this long in the middle of it, gets cut off. */
const BACKEND_TIMEOUT_MS = 60_000;
/** Proxy errors are logged as one summary line per interval, not one line per request. */
const ERROR_LOG_INTERVAL_MS = 1_000;

/**
 * The public side of the router: an HTTP server that sends each request to the route
 * {@link chooseRoute} picks, tells which version answered in `x-gantry-version`, and
 * records every request in the rolling stats and the Prometheus metrics.
 *
 * Connections to backends are pooled (keep-alive), so a request does not pay for a TCP
 * handshake. The route is chosen once per request and kept with it: a new table only
 * affects requests that arrive after it, and those in flight finish where they started.
 */
export function createPublicProxy(deps: PublicProxyDeps): http.Server {
  const errors = new ErrorSummary(deps.log);
  const forwarding = new WeakMap<Route, { origin: string; headers: Array<[string, string]> }>();
  const forwardingOf = (route: Route) => {
    let known = forwarding.get(route);
    if (!known) {
      // The router's word on which version answered wins over anything the backend says.
      known = { origin: new URL(route.url).origin, headers: [[VERSION_HEADER, route.version]] };
      forwarding.set(route, known);
    }
    return known;
  };

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const choice = chooseRoute(deps.state.policy, requestFacts(req.headers));
    if (!choice) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' });
      res.end(`503 Service Unavailable: the router of ${deps.service} in ${deps.environment} has no routes yet; a release sets them (PUT /routes on the admin port)\n`);
      return;
    }
    const { route } = choice;
    let failed = false;
    res.once('close', () => {
      const elapsedMs = performance.now() - started;
      // A request the client gave up on before its answer ended is counted like nginx's
      // 499: a client-side outcome, visible in the latency, not held against the version.
      const codeClass: CodeClass = failed ? 'error' : res.writableFinished ? codeClassOf(res.statusCode) : '4xx';
      deps.stats.record(route.version, elapsedMs, codeClass === 'error' || codeClass === '5xx');
      deps.metrics.record(route.version, codeClass, elapsedMs / 1000);
    });

    const { origin, headers } = forwardingOf(route);
    forwardRequest(req, res, {
      backend: deps.pools.get(origin),
      timeoutMs: BACKEND_TIMEOUT_MS,
      responseHeaders: headers,
      onFailure: (err) => {
        failed = true;
        errors.note(route.version, `${route.url}: ${err.message}`);
        if (res.headersSent) return;
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', [VERSION_HEADER]: route.version });
        res.end(`502 Bad Gateway: the router could not reach ${deps.service} ${route.version} (${route.instanceId}) at ${route.url}: ${err.message}\n`);
      },
    });
  });
  server.on('close', () => {
    errors.flush();
    errors.stop();
    void deps.pools.destroy();
  });
  return server;
}

/** Counts proxy errors by version and reason, and logs them once per interval. */
class ErrorSummary {
  private counts = new Map<string, { version: string; reason: string; count: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly log: pino.Logger;

  constructor(log: pino.Logger) {
    this.log = log;
    this.timer = setInterval(() => this.flush(), ERROR_LOG_INTERVAL_MS);
    this.timer.unref();
  }

  note(version: string, reason: string): void {
    const key = `${version}\u0000${reason}`;
    const entry = this.counts.get(key) ?? { version, reason, count: 0 };
    entry.count += 1;
    this.counts.set(key, entry);
  }

  flush(): void {
    for (const { version, reason, count } of this.counts.values()) {
      this.log.warn({ version, count }, `could not forward ${count} request(s) to ${version}: ${reason}`);
    }
    this.counts = new Map();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
