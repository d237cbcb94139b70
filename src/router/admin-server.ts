import http from 'node:http';
import type pino from 'pino';
import { routeTableValidationProblems } from '../contracts/route-table-validation';
import { ADMIN_AUTH_SCHEME, ADMIN_PATHS, STATS_RETENTION_MS } from '../contracts/router-protocol';
import type { AdminProblem, RouterHealth, RouterOptionsDocument, RouterStats, RoutesDocument } from '../contracts/router-protocol';
import { adminRefusal } from './admin-access';
import type { AdminToken } from './admin-token';
import type { RoutingPolicy } from './choose-route';
import type { RouterState } from './router-state';

export interface AdminServerDeps {
  service: string;
  environment: string;
  state: RouterState;
  traffic: RouterTraffic;
  /** What every request must carry; see {@link adminRefusal}. */
  token: AdminToken;
  log: pino.Logger;
}

/** The processes that carry the public traffic, as the admin API drives and reads them. */
export interface RouterTraffic {
  /** Resolves once every process routes by `policy`. */
  publish(policy: RoutingPolicy): Promise<void>;
  stats(windowMs: number): Promise<RouterStats>;
  metrics(): Promise<{ text: string; contentType: string }>;
  readonly count: number;
}

/** Route tables and option lists are small; anything bigger is a mistake, not a table. */
const MAX_BODY_BYTES = 1024 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems?: string[],
  ) {
    super(message);
  }
}

type Handler = (req: http.IncomingMessage, url: URL) => Promise<{ status: number; body: unknown; contentType?: string }>;

/**
 * The router's admin API, on its own loopback port so that public traffic can never
 * reach it. Every request needs `Authorization: Bearer <token>`: without it (or with
 * another token) the answer is 401, from an address other than loopback 403, and
 * either way nothing is read or changed.
 *
 * | Request | Answer |
 * | --- | --- |
 * | `PUT /routes` (JSON Route[]) | 200 `{ routes }`; 400 `{ error, problems }` and the table unchanged |
 * | `GET /routes` | 200 `{ routes }` |
 * | `PUT /options` (`{ canaryUsers }`) | 200 `{ canaryUsers }` |
 * | `GET /options` | 200 `{ canaryUsers }` |
 * | `GET /stats?windowMs=N` | 200 RouterStats (router-protocol.ts) for the last N ms (1 … 900000) |
 * | `GET /metrics` | Prometheus exposition |
 * | `GET /healthz` | 200 RouterHealth |
 */
export function createAdminServer(deps: AdminServerDeps): http.Server {
  const routes: Record<string, Partial<Record<string, Handler>>> = {
    [ADMIN_PATHS.routes]: {
      GET: async () => ({ status: 200, body: { routes: deps.state.routes } satisfies RoutesDocument }),
      PUT: async (req) => {
        const table = await readJson(req);
        const problems = routeTableValidationProblems(table);
        if (problems.length > 0) throw new HttpProblem(400, 'invalid route table; the routes in force are unchanged', problems);
        await deps.state.setRoutes(table as RoutesDocument['routes']);
        await deps.traffic.publish(deps.state.policy);
        deps.log.info({ routes: deps.state.routes }, `routes: ${describeRoutes(deps.state.routes)}`);
        return { status: 200, body: { routes: deps.state.routes } satisfies RoutesDocument };
      },
    },
    [ADMIN_PATHS.options]: {
      GET: async () => ({ status: 200, body: { canaryUsers: deps.state.canaryUsers } satisfies RouterOptionsDocument }),
      PUT: async (req) => {
        const body = await readJson(req);
        const canaryUsers = (body as Partial<RouterOptionsDocument> | null)?.canaryUsers;
        if (!Array.isArray(canaryUsers) || !canaryUsers.every((u) => typeof u === 'string' && u !== '')) {
          throw new HttpProblem(400, 'expected { "canaryUsers": ["user key", …] } with non-empty strings');
        }
        await deps.state.setCanaryUsers(canaryUsers);
        await deps.traffic.publish(deps.state.policy);
        deps.log.info(`canary users: ${canaryUsers.length}`);
        return { status: 200, body: { canaryUsers: deps.state.canaryUsers } satisfies RouterOptionsDocument };
      },
    },
    [ADMIN_PATHS.stats]: {
      GET: async (_req, url) => {
        const raw = url.searchParams.get('windowMs') ?? '60000';
        const windowMs = Number(raw);
        if (!Number.isInteger(windowMs) || windowMs < 1 || windowMs > STATS_RETENTION_MS) {
          throw new HttpProblem(400, `windowMs must be a whole number of milliseconds from 1 to ${STATS_RETENTION_MS} (the router keeps 15 minutes); got "${raw}"`);
        }
        return { status: 200, body: await deps.traffic.stats(windowMs) };
      },
    },
    [ADMIN_PATHS.metrics]: {
      GET: async () => {
        const { text, contentType } = await deps.traffic.metrics();
        return { status: 200, body: text, contentType };
      },
    },
    [ADMIN_PATHS.health]: {
      GET: async () => {
        const health: RouterHealth = { ok: true, service: deps.service, environment: deps.environment, pid: process.pid, routes: deps.state.routes.length, workers: deps.traffic.count };
        return { status: 200, body: health };
      },
    },
  };

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const refusal = adminRefusal(req, deps.token);
    if (refusal) {
      // Who knocked and where, never what they sent: a wrong token may be a right one mistyped.
      deps.log.warn({ from: req.socket.remoteAddress, method: req.method, path: url.pathname, status: refusal.status }, `admin ${req.method} ${url.pathname} refused (${refusal.status})`);
      req.resume();
      send(res, refusal.status, { error: refusal.message } satisfies AdminProblem, undefined, refusal.status === 401 ? { 'www-authenticate': `${ADMIN_AUTH_SCHEME} realm="gantry-router"` } : {});
      return;
    }
    const methods = routes[url.pathname];
    const handler = methods?.[req.method ?? 'GET'];
    const answer = handler
      ? handler(req, url)
      : Promise.reject(
          methods
            ? new HttpProblem(405, `${req.method} is not allowed on ${url.pathname}; use ${Object.keys(methods).join(' or ')}`)
            : new HttpProblem(404, `no such admin path ${url.pathname}; known: ${Object.values(ADMIN_PATHS).join(', ')}`),
        );
    answer
      .then(({ status, body, contentType }) => send(res, status, body, contentType))
      .catch((err: unknown) => {
        if (err instanceof HttpProblem) {
          const problem: AdminProblem = { error: err.message, ...(err.problems ? { problems: err.problems } : {}) };
          send(res, err.status, problem);
          return;
        }
        deps.log.error({ err }, `admin ${req.method} ${url.pathname} failed`);
        send(res, 500, { error: err instanceof Error ? err.message : String(err) } satisfies AdminProblem);
      });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, contentType?: string, headers: http.OutgoingHttpHeaders = {}): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { ...headers, 'content-type': contentType ?? 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new HttpProblem(400, `request body is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function describeRoutes(routes: RoutesDocument['routes']): string {
  if (routes.length === 0) return 'none';
  return routes.map((r) => `${r.role} ${r.version} (${r.instanceId}) ${r.weight}%`).join(', ');
}
