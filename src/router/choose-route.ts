import { createHash } from 'node:crypto';
import type { Route, RouteRole } from '../contracts/routes';

/** What the router knows about a request when it picks a version. */
export interface RequestFacts {
  /** The request carries the preview header (`x-gantry-canary: always`). */
  preview: boolean;
  /** The user key from the header or cookie, if any. */
  userKey?: string;
}

export interface RoutingPolicy {
  routes: Route[];
  /** User keys that always reach the canary. */
  canaryUsers: ReadonlySet<string>;
}

/** Why a request went where it went; used by tests and logs, not by the proxy. */
export type RouteReason = 'preview' | 'allowList' | 'sticky' | 'random' | 'onlyRoute';

/**
 * Picks the route for one request, in this order:
 *
 * 1. preview header → canary, even at weight 0;
 * 2. an allow-listed user key → canary;
 * 3. any other user key → sticky: its bucket (0–99, from a hash of the key) below the
 *    canary weight → canary. A user does not flip between versions from one request to
 *    the next, and raising the weight only adds users: at 10 % buckets 0–9 are in the
 *    canary, at 50 % buckets 0–49, so the users of 10 % are still there;
 * 4. no key → weighted random.
 *
 * When the chosen role has no route the other one answers (a preview request while only
 * stable runs reaches stable). Undefined only for an empty table.
 */
export function chooseRoute(policy: RoutingPolicy, facts: RequestFacts, random: () => number = Math.random): { route: Route; reason: RouteReason } | undefined {
  const stable = policy.routes.find((r) => r.role === 'stable');
  const canary = policy.routes.find((r) => r.role === 'canary');
  if (!stable && !canary) return undefined;
  if (!stable || !canary) return { route: (stable ?? canary) as Route, reason: 'onlyRoute' };

  const pick = (role: RouteRole) => (role === 'canary' ? canary : stable);
  if (facts.preview) return { route: canary, reason: 'preview' };
  if (facts.userKey !== undefined) {
    if (policy.canaryUsers.has(facts.userKey)) return { route: canary, reason: 'allowList' };
    return { route: pick(stickyBucket(facts.userKey) < canary.weight ? 'canary' : 'stable'), reason: 'sticky' };
  }
  return { route: pick(random() * 100 < canary.weight ? 'canary' : 'stable'), reason: 'random' };
}

/**
 * A user's bucket, 0–99: the first 4 bytes of the SHA-1 of the key, as an unsigned
 * integer, modulo 100. Stable across requests, restarts and routers; the modulo bias of
 * 2^32 mod 100 is below one in forty million.
 */
export function stickyBucket(userKey: string): number {
  return createHash('sha1').update(userKey).digest().readUInt32BE(0) % 100;
}
