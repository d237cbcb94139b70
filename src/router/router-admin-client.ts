import http from 'node:http';
import { InvalidRoutesError } from '../contracts/route-table-validation';
import { ADMIN_AUTH_SCHEME, ADMIN_PATHS } from '../contracts/router-protocol';
import type { AdminProblem, RouterHealth, RouterOptionsDocument, RouterStats, RoutesDocument } from '../contracts/router-protocol';
import type { Route } from '../contracts/routes';

const DEFAULT_TIMEOUT_MS = 5_000;

/** The router did not answer, or answered something other than what was asked for. */
export class RouterAdminError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RouterAdminError';
  }
}

/**
 * Talks to one embedded router's admin API (see admin-server.ts) with the router's
 * token. Each call is one request on a fresh connection with a deadline: admin calls
 * are rare, and a pooled connection would keep the caller's process alive.
 */
export class RouterAdminClient {
  readonly adminUrl: string;
  private readonly timeoutMs: number;
  // Non-enumerable, so a client logged or thrown by mistake does not print it.
  declare private readonly authorization: string;

  constructor(adminUrl: string, token: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.adminUrl = adminUrl.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, 'authorization', { value: `${ADMIN_AUTH_SCHEME} ${token}`, enumerable: false });
  }

  async health(): Promise<RouterHealth> {
    return (await this.call('GET', ADMIN_PATHS.health)) as RouterHealth;
  }

  async getRoutes(): Promise<Route[]> {
    return ((await this.call('GET', ADMIN_PATHS.routes)) as RoutesDocument).routes;
  }

  /** Throws {@link InvalidRoutesError} when the router refuses the table. */
  async setRoutes(routes: Route[]): Promise<Route[]> {
    return ((await this.call('PUT', ADMIN_PATHS.routes, routes)) as RoutesDocument).routes;
  }

  async setOptions(options: RouterOptionsDocument): Promise<void> {
    await this.call('PUT', ADMIN_PATHS.options, { canaryUsers: options.canaryUsers } satisfies RouterOptionsDocument);
  }

  async getOptions(): Promise<RouterOptionsDocument> {
    return (await this.call('GET', ADMIN_PATHS.options)) as RouterOptionsDocument;
  }

  /** Requests, errors and latency per version over the last `windowMs` (at most 15 minutes). */
  async stats(windowMs: number): Promise<RouterStats> {
    return (await this.call('GET', `${ADMIN_PATHS.stats}?windowMs=${encodeURIComponent(String(windowMs))}`)) as RouterStats;
  }

  /** The Prometheus exposition text of `/metrics`. */
  async metrics(): Promise<string> {
    return (await this.call('GET', ADMIN_PATHS.metrics)) as string;
  }

  private async call(method: 'GET' | 'PUT', pathAndQuery: string, body?: unknown): Promise<unknown> {
    const url = `${this.adminUrl}${pathAndQuery}`;
    let answer: { status: number; contentType: string; text: string };
    try {
      answer = await request(method, url, this.authorization, body === undefined ? undefined : JSON.stringify(body), this.timeoutMs);
    } catch (err) {
      throw new RouterAdminError(`router admin API at ${this.adminUrl} did not answer ${method} ${pathAndQuery}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const json = answer.contentType.includes('json') ? parseJson(answer.text) : undefined;
    if (answer.status >= 200 && answer.status < 300) return json ?? answer.text;
    const problem = json as Partial<AdminProblem> | undefined;
    if (pathAndQuery === ADMIN_PATHS.routes && answer.status === 400 && Array.isArray(problem?.problems)) {
      throw new InvalidRoutesError(problem.problems);
    }
    throw new RouterAdminError(`router admin API at ${this.adminUrl} answered ${method} ${pathAndQuery} with HTTP ${answer.status}: ${problem?.error ?? answer.text.trim()}`);
  }
}

function request(method: string, url: string, authorization: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ECONNREFUSED' ? new Error('connection refused') : err));
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
