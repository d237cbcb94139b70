import type { Route } from './routes';

/**
 * The contract between the embedded router process and whoever drives it (its
 * provider, the embedded metrics provider, tests): command-line flags, exit codes,
 * admin paths, the documents the admin API answers with and the names of the metrics
 * it exposes. The headers it reads and writes on proxied requests are in headers.ts.
 */

/** Command-line flags of `node dist/router/main.js`; each has a GANTRY_ROUTER_* variable too. */
export const ROUTER_FLAGS = {
  service: 'service',
  environment: 'environment',
  publicPort: 'public-port',
  adminPort: 'admin-port',
  stateFile: 'state-file',
  host: 'host',
  workers: 'workers',
  adminTokenFile: 'admin-token-file',
} as const;

/**
 * The only address the admin API listens on, whatever `host` the public port binds:
 * the admin API moves traffic, so nothing off this machine may reach it.
 */
export const ADMIN_HOST = '127.0.0.1';

/** The admin API's answer to every request without `Authorization: Bearer <token>` of the router's token file. */
export const ADMIN_AUTH_SCHEME = 'Bearer';

/** Random bytes in a router's admin token (the file holds them base64url-encoded). */
export const ADMIN_TOKEN_BYTES = 32;

/** What whoever starts a router tells it; without `workers`, the router's default. */
export interface RouterLaunch {
  service: string;
  environment: string;
  /** Interface the public port binds to; loopback unless a deployment says otherwise. The admin API is always on {@link ADMIN_HOST}. */
  host: string;
  publicPort: number;
  adminPort: number;
  /** JSON file holding the route table and options across restarts. */
  stateFile: string;
  /**
   * A file only its owner can read (mode 0600) holding the token every admin request
   * must carry. Its path, never the token, is what crosses the command line, so the
   * token shows in no process list.
   */
  adminTokenFile: string;
  workers?: number;
}

/** The command-line flags that start a router with these settings. */
export function routerArguments(launch: RouterLaunch): string[] {
  return [
    `--${ROUTER_FLAGS.service}`, launch.service,
    `--${ROUTER_FLAGS.environment}`, launch.environment,
    `--${ROUTER_FLAGS.host}`, launch.host,
    `--${ROUTER_FLAGS.publicPort}`, String(launch.publicPort),
    `--${ROUTER_FLAGS.adminPort}`, String(launch.adminPort),
    `--${ROUTER_FLAGS.stateFile}`, launch.stateFile,
    `--${ROUTER_FLAGS.adminTokenFile}`, launch.adminTokenFile,
    ...(launch.workers === undefined ? [] : [`--${ROUTER_FLAGS.workers}`, String(launch.workers)]),
  ];
}

/** Exit codes the provider acts on. */
export const ROUTER_EXIT = {
  /** Settings missing or malformed, including an admin token file that is missing, too short or open to others. */
  badSettings: 2,
  /** The state file exists but cannot be used. */
  badState: 3,
  /** A port was taken between the provider choosing it and the router binding it: try other ports. */
  portTaken: 4,
} as const;

export const ADMIN_PATHS = {
  routes: '/routes',
  options: '/options',
  stats: '/stats',
  health: '/healthz',
  metrics: '/metrics',
} as const;

/** How far back `/stats` can look: the router keeps one bucket per second for this long. */
export const STATS_RETENTION_MS = 15 * 60_000;

/** `GET /healthz`: enough for a provider to know it reached the router it started. */
export interface RouterHealth {
  ok: true;
  service: string;
  environment: string;
  pid: number;
  routes: number;
  /** Processes serving the public port. */
  workers: number;
}

/** `GET /stats?windowMs=N`, per version over the window that ends now. */
export interface RouterStats {
  windowMs: number;
  versions: Record<string, VersionStats>;
}

export interface VersionStats {
  requests: number;
  /** 5xx answers plus requests the router could not forward (502). */
  errors: number;
  /** Absent when no request completed in the window. */
  latencyMs: { p50?: number; p99?: number };
  /**
   * Every latency of the window as [ms, count] pairs, one per logarithmic bucket (its
   * geometric middle, within 2.5 % of each value): what the statistical judge compares by
   * rank and at the tail. Absent from routers older than it.
   */
  latencyHistogram?: Array<[number, number]>;
}

/** `PUT /options` and `GET /options`. */
export interface RouterOptionsDocument {
  canaryUsers: string[];
}

/** `GET /routes` and the answer to `PUT /routes`. */
export interface RoutesDocument {
  routes: Route[];
}

/** The body of every 4xx/5xx answer of the admin API. */
export interface AdminProblem {
  error: string;
  problems?: string[];
}

/**
 * Metric names the embedded router exposes on /metrics (Prometheus exposition format),
 * shared by the router, the Prometheus provider's default queries and the tests.
 */
export const ROUTER_METRICS = {
  /** Counter, labels: service, environment, version, code_class (2xx, 3xx, 4xx, 5xx, error). */
  requests: 'gantry_router_requests_total',
  /** Histogram in seconds, labels: service, environment, version. */
  duration: 'gantry_router_request_duration_seconds',
} as const;
