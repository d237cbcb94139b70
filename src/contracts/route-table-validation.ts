import { z } from 'zod';
import type { Route } from './routes';

/**
 * What makes a route table acceptable to any router: the shape of every route (a table
 * arrives as JSON from an activity or over the admin API, so nothing about it can be
 * assumed) and then the table rules of {@link routeTableProblems}.
 */

const RouteSchema = z.strictObject({
  instanceId: z.string().min(1, 'must not be empty'),
  version: z.string().min(1, 'must not be empty'),
  url: z.string().refine(isHttpUrl, 'must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:41234'),
  weight: z.number(),
  role: z.enum(['stable', 'canary']),
});

const RouteTableSchema = z.array(RouteSchema);

/** The table rules, for routes whose shape is known; returns the problems found. */
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

/** Problems with a route table of unknown shape; empty when it can be routed. */
export function routeTableValidationProblems(value: unknown): string[] {
  const parsed = RouteTableSchema.safeParse(value);
  if (parsed.success) return routeTableProblems(parsed.data);
  const shapeProblems = parsed.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `routes[${issue.path[0]?.toString()}]${issue.path.slice(1).map((p) => `.${p.toString()}`).join('')}` : 'routes';
    return `${where}: ${issue.message}`;
  });
  // Say everything that is wrong at once: the table rules still apply to the routes whose weight and role can be read.
  if (!Array.isArray(value)) return shapeProblems;
  const readable = value.filter(hasWeightAndRole);
  return [...shapeProblems, ...(readable.length === value.length ? routeTableProblems(readable) : [])];
}

function hasWeightAndRole(entry: unknown): entry is Route {
  const candidate = entry as Partial<Route> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.weight === 'number' && typeof candidate.role === 'string';
}

/** Thrown by routers (and the providers in front of them) for a table they refuse; never worth retrying. */
export class InvalidRoutesError extends Error {
  readonly problems: string[];

  constructor(problems: string[], where?: string) {
    super(`invalid route table${where ? ` for ${where}` : ''}: ${problems.join('; ')}`);
    this.name = 'InvalidRoutesError';
    this.problems = problems;
  }
}

/** Throws {@link InvalidRoutesError} when the table has problems; returns it typed otherwise. */
export function assertValidRouteTable(value: unknown, where?: string): Route[] {
  const problems = routeTableValidationProblems(value);
  if (problems.length > 0) throw new InvalidRoutesError(problems, where);
  return value as Route[];
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
