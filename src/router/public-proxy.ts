import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { createProxyServer } from 'http-proxy-3';
import type pino from 'pino';
import type { Route } from '../providers/router/router';
import { chooseRoute } from './choose-route';
import { requestFacts } from './request-facts';
import type { RollingStats } from './rolling-stats';
import { VERSION_HEADER } from './router-protocol';
import { codeClassOf } from './router-metrics';
import type { CodeClass, RouterMetrics } from './router-metrics';
import type { RouterState } from './router-state';

export interface PublicProxyDeps {
  service: string;
  environment: string;
  state: RouterState;
  stats: RollingStats;
  metrics: RouterMetrics;
  log: pino.Logger;
}

/** A backend that accepts the connection but never answers gets a 502 after this long. */
const BACKEND_TIMEOUT_MS = 60_000;
/** Proxy errors are logged as one summary line per interval, not one line per request. */
const ERROR_LOG_INTERVAL_MS = 1_000;

/** What the proxy tracks for one request while it is in flight. */
interface InFlight {
  route: Route;
  failed: boolean;
  /** Set once the client side closed and the request was counted. */
  recorded: boolean;
}

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
  const agents = {
    http: new http.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' }),
    https: new https.Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' }),
  };
  const proxy = createProxyServer({ xfwd: true, proxyTimeout: BACKEND_TIMEOUT_MS });
  const inFlight = new WeakMap<http.ServerResponse, InFlight>();
  const errors = new ErrorSummary(deps.log);
  const targets = new WeakMap<Route, URL>();
  const targetOf = (route: Route): URL => {
    let url = targets.get(route);
    if (!url) {
      url = new URL(route.url);
      targets.set(route, url);
    }
    return url;
  };

  // Errors of requests proxied with a callback go to the callback; this catches anything
  // the library emits otherwise, which would crash the router with no listener.
  proxy.on('error', (err) => deps.log.error({ err }, `proxy error outside a request: ${err.message}`));

  proxy.on('proxyRes', (proxyRes, _req, res) => {
    const request = inFlight.get(res);
    // The router's word on which version answered wins over anything the backend says.
    if (request) proxyRes.headers[VERSION_HEADER] = request.route.version;
    // A backend that dies halfway through its answer: without this the client would wait
    // for the rest forever, and the request would be counted as a success. (When the
    // client left first, the library cuts the backend answer itself: not the backend's fault.)
    proxyRes.once('close', () => {
      if (proxyRes.complete || !request || request.recorded) return;
      request.failed = true;
      errors.note(request.route.version, 'the backend closed the connection before its answer was complete');
      res.destroy();
    });
  });

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
    const request: InFlight = { route, failed: false, recorded: false };
    inFlight.set(res, request);
    res.setHeader(VERSION_HEADER, route.version);
    res.once('close', () => {
      request.recorded = true;
      const elapsedMs = performance.now() - started;
      // A request the client gave up on before its answer ended is counted like nginx's
      // 499: a client-side outcome, visible in the latency, not held against the version.
      const codeClass: CodeClass = request.failed ? 'error' : res.writableFinished ? codeClassOf(res.statusCode) : '4xx';
      deps.stats.record(route.version, elapsedMs, codeClass === 'error' || codeClass === '5xx');
      deps.metrics.record(route.version, codeClass, elapsedMs / 1000);
    });

    const target = targetOf(route);
    proxy.web(req, res, { target, agent: target.protocol === 'https:' ? agents.https : agents.http }, (err) => {
      request.failed = true;
      errors.note(route.version, `${route.url}: ${err.message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`502 Bad Gateway: the router could not reach ${deps.service} ${route.version} (${route.instanceId}) at ${route.url}: ${err.message}\n`);
    });
  });
  server.on('close', () => {
    errors.flush();
    errors.stop();
    agents.http.destroy();
    agents.https.destroy();
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
