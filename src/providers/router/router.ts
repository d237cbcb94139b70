/**
 * Routers put a service environment's versions behind one address and split traffic
 * between them by weight. The strategy code drives this interface and never knows
 * which router it drives (the embedded proxy, HAProxy, …).
 */

export type RouteRole = 'stable' | 'canary';

export interface Route {
  /** The runtime instance this route sends traffic to. */
  instanceId: string;
  version: string;
  /** Where the instance listens, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Share of public traffic, 0–100; the weights of a table add up to 100. */
  weight: number;
  /**
   * `canary` is the version under test (the canary, or green before the switch): it also
   * receives every request that carries the preview header or an allow-listed user key,
   * whatever its weight.
   */
  role: RouteRole;
}

export interface RouterOptions {
  /** User keys (header `x-gantry-user` or cookie `gantry_user`) that always reach the canary: internal users. */
  canaryUsers?: string[];
}

export interface RouterEndpoint {
  /** The address clients use. */
  url: string;
}

export interface RouterProvider {
  /** Makes sure the environment's router runs (starting it if needed) and returns its address. */
  ensureRouter(service: string, environment: string, options?: RouterOptions): Promise<RouterEndpoint>;
  /**
   * Replaces the route table at once, without dropping requests in flight. At most one
   * stable and one canary route; weights add up to 100. Setting the same table twice is harmless.
   */
  setRoutes(service: string, environment: string, routes: Route[]): Promise<void>;
  /** The route table in force (empty when the router has none). */
  getRoutes(service: string, environment: string): Promise<Route[]>;
}

/** Header that sends a request to the canary (preview) whatever the weights: `x-gantry-canary: always`. */
export const PREVIEW_HEADER = 'x-gantry-canary';
/** Header carrying the user key used for sticky assignment and the allow-list. */
export const USER_HEADER = 'x-gantry-user';
/** Cookie carrying the user key, when the header is absent. */
export const USER_COOKIE = 'gantry_user';

/** Checks a route table before any router sees it; returns the problems found. */
export function routeTableProblems(routes: Route[]): string[] {
  const problems: string[] = [];
  const total = routes.reduce((sum, r) => sum + r.weight, 0);
  if (routes.length > 0 && total !== 100) problems.push(`weights add up to ${total}, not 100`);
  for (const r of routes) {
    if (!Number.isInteger(r.weight) || r.weight < 0 || r.weight > 100) problems.push(`route ${r.instanceId} has weight ${r.weight}; use a whole number from 0 to 100`);
  }
  for (const role of ['stable', 'canary'] as const) {
    if (routes.filter((r) => r.role === role).length > 1) problems.push(`more than one ${role} route`);
  }
  return problems;
}
