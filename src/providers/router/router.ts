import type { Route } from '../../contracts/routes';

/**
 * Routers put a service environment's versions behind one address and split traffic
 * between them by weight. The strategy code drives this interface and never knows
 * which router it drives (the embedded proxy, HAProxy, …).
 */

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
