/**
 * A route table: which versions of a service environment share its traffic, and how.
 * Workflows plan tables, activities hand them to a router provider, and the router
 * program serves them; all three speak this shape. The rules a table must follow are
 * in route-table-validation.ts.
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
