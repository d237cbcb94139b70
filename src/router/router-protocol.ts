import type { Route } from '../providers/router/router';

/**
 * The contract between the embedded router process and whoever drives it (its
 * provider, the embedded metrics provider, tests): command-line flags, exit codes,
 * admin paths and the documents the admin API answers with.
 */

/** Response header naming the version that answered a proxied request. */
export const VERSION_HEADER = 'x-gantry-version';

/** Command-line flags of `node dist/router/main.js`; each has a GANTRY_ROUTER_* variable too. */
export const ROUTER_FLAGS = {
  service: 'service',
  environment: 'environment',
  publicPort: 'public-port',
  adminPort: 'admin-port',
  stateFile: 'state-file',
  host: 'host',
  workers: 'workers',
} as const;

/** Exit codes the provider acts on. */
export const ROUTER_EXIT = {
  /** Settings missing or malformed. */
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
