import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import path from 'node:path';
import { assertValidRouteTable } from '../../contracts/route-table-validation';
import type { Route, RouteRole } from '../../contracts/routes';
import { readJsonFile, writeJsonAtomic } from '../state-dir';
import { HaproxyApiError, HaproxyRuntimeApi, inMaintenance } from './haproxy-runtime-api';
import type { HaproxyServerState } from './haproxy-runtime-api';
import type { RouterEndpoint, RouterProvider } from './router';

export interface HaproxyRouterOptions {
  /** The stats socket, declared with `level admin` and `mode 600` for the worker's user. */
  socket: string;
  /** The backend that holds the `stable` and `canary` servers. */
  backend: string;
  /** Where clients reach HAProxy for this environment; returned by ensureRouter. */
  url: string;
  /** Folder for the sidecar files that remember versions and instance ids (`<GANTRY_HOME>/haproxy`). */
  stateDir: string;
  /** Per runtime API command (default 5 s). */
  timeoutMs?: number;
}

/** What HAProxy cannot hold: which version and instance sit behind each server. */
interface Sidecar {
  socket: string;
  backend: string;
  routes: Array<{ route: Route; addr: string; port: number }>;
  updatedAt: string;
}

const ROLES: RouteRole[] = ['stable', 'canary'];

/**
 * Splits traffic with a team's own HAProxy, through its runtime API: weights, addresses
 * and states change over the stats socket, with no reload and no dropped connection.
 *
 * The backend must have two servers named `stable` and `canary`. The addresses in the
 * config are placeholders that Gantry replaces; `disabled` keeps both out of traffic
 * until the first route table arrives. Verified with HAProxy 2.6 (test/router):
 *
 * The socket must be writable by the worker's user alone (`mode 600`, `user` that
 * user): every command is refused while its group or others can write it, since any of
 * them could set weights behind the release's back (see haproxy-socket-permissions.ts).
 *
 * ```
 * global
 *   stats socket /run/haproxy/admin.sock mode 600 user gantry level admin
 *
 * frontend web
 *   bind :8080
 *   default_backend web_production
 *
 * backend web_production
 *   balance roundrobin
 *   # Preview: `x-gantry-canary: always` reaches the canary even at weight 0 (a server
 *   # in maintenance is skipped and the request is balanced as usual).
 *   use-server canary if { req.hdr(x-gantry-canary) -i -m str always }
 *   server stable 127.0.0.1:1 weight 100 disabled
 *   server canary 127.0.0.1:1 weight 0 disabled
 * ```
 *
 * Optional, and HAProxy's side of the bargain rather than this provider's: sticky users
 * and the internal allow-list. Consistent hashing on the user key keeps most users on
 * the version they had as weights move (the embedded router guarantees it exactly);
 * requests without a key are balanced round robin.
 *
 * ```
 *   http-request set-header x-gantry-user %[req.cook(gantry_user)] if !{ req.hdr(x-gantry-user) -m found } { req.cook(gantry_user) -m found }
 *   use-server canary if { req.hdr(x-gantry-user) -f /etc/haproxy/gantry-canary-users.lst }
 *   balance hdr(x-gantry-user)
 *   hash-type consistent
 * ```
 *
 * Changes made over the runtime API live in HAProxy's memory: a reload or restart
 * returns to the config's placeholders unless `server-state-file` and
 * `load-server-state-from-file global` carry them over. {@link getRoutes} reads the
 * truth from HAProxy and says when it no longer matches what Gantry set.
 *
 * A role without a route goes to maintenance with weight 0; in-flight requests on it
 * finish. Servers are brought up before others are taken down, so a switch never
 * leaves the backend empty.
 */
export class HaproxyRouterProvider implements RouterProvider {
  private readonly api: HaproxyRuntimeApi;
  private readonly backend: string;
  private readonly url: string;
  private readonly sidecarFile: string;

  constructor(options: HaproxyRouterOptions) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(options.backend)) throw new Error(`HAProxy backend name "${options.backend}" has characters HAProxy does not allow in names`);
    this.api = new HaproxyRuntimeApi(options.socket, options.timeoutMs);
    this.backend = options.backend;
    this.url = options.url;
    // Keyed by socket and backend: two HAProxies may both have a backend called "web".
    const socketKey = createHash('sha1').update(path.resolve(options.socket)).digest('hex').slice(0, 8);
    this.sidecarFile = path.join(options.stateDir, `${options.backend}-${socketKey}.json`);
  }

  /** Checks that HAProxy answers and the backend has both servers; nothing is started or changed. */
  async ensureRouter(): Promise<RouterEndpoint> {
    await this.api.info();
    await this.servers();
    return { url: this.url };
  }

  async setRoutes(service: string, environment: string, routes: Route[]): Promise<void> {
    const table = assertValidRouteTable(routes, `${service} in ${environment}`);
    const targets = await Promise.all(table.map(async (route) => ({ route, ...(await serverAddress(route)) })));
    await this.servers();

    const down = ROLES.filter((role) => !table.some((r) => r.role === role));
    for (const { route, addr, port } of targets) {
      await this.api.setAddress(this.backend, route.role, addr, port);
      await this.api.setState(this.backend, route.role, 'ready');
      await this.api.setWeight(this.backend, route.role, route.weight);
    }
    for (const role of down) {
      await this.api.setWeight(this.backend, role, 0);
      await this.api.setState(this.backend, role, 'maint');
    }

    const sidecar: Sidecar = { socket: this.api.socket, backend: this.backend, routes: targets, updatedAt: new Date().toISOString() };
    await writeJsonAtomic(this.sidecarFile, sidecar);

    const inForce = await this.getRoutes();
    const differences = table.filter((r) => !inForce.some((f) => sameRoute(f, r)));
    if (differences.length > 0 || inForce.length !== table.length) {
      throw new HaproxyApiError(`HAProxy backend ${this.backend} does not show the routes just set: set ${describe(table)}, reads back ${describe(inForce)}`);
    }
  }

  /**
   * The routes HAProxy serves: every `stable`/`canary` server not in maintenance, with
   * its weight. Version and instance come from the sidecar when it matches HAProxy's
   * address and weight; otherwise (HAProxy was reloaded, or changed by hand) they read
   * `unknown` and the url is HAProxy's own.
   */
  async getRoutes(): Promise<Route[]> {
    const servers = await this.servers();
    const sidecar = await readJsonFile<Sidecar>(this.sidecarFile);
    const routes: Route[] = [];
    for (const role of ROLES) {
      const server = servers.get(role) as HaproxyServerState;
      if (inMaintenance(server)) continue;
      const known = sidecar?.routes.find((entry) => entry.route.role === role);
      if (known && known.addr === server.addr && known.port === server.port && known.route.weight === server.weight) {
        routes.push(known.route);
      } else {
        const host = net.isIPv6(server.addr) ? `[${server.addr}]` : server.addr;
        routes.push({ role, instanceId: 'unknown', version: 'unknown', url: `http://${host}:${server.port}`, weight: server.weight });
      }
    }
    return routes;
  }

  private async servers(): Promise<Map<string, HaproxyServerState>> {
    let states: HaproxyServerState[];
    try {
      states = await this.api.serversState(this.backend);
    } catch (err) {
      if (err instanceof HaproxyApiError && /can't find backend/i.test(err.message)) {
        throw new HaproxyApiError(`HAProxy at ${this.api.socket} has no backend "${this.backend}"; declare it with servers \`stable\` and \`canary\` (see HaproxyRouterProvider)`);
      }
      throw err;
    }
    const byName = new Map(states.map((s) => [s.name, s]));
    const missing = ROLES.filter((role) => !byName.has(role));
    if (missing.length > 0) {
      throw new HaproxyApiError(`HAProxy backend ${this.backend} has no server named ${missing.join(' or ')}; it needs \`server stable …\` and \`server canary …\` (see HaproxyRouterProvider)`);
    }
    return byName;
  }
}

/** HAProxy takes an IP address and a port; a route names a URL. */
async function serverAddress(route: Route): Promise<{ addr: string; port: number }> {
  const url = new URL(route.url);
  if (url.protocol !== 'http:') throw new HaproxyApiError(`route ${route.instanceId} has url ${route.url}; HAProxy servers are plain http:// here (TLS to backends is HAProxy config)`);
  if (url.pathname !== '/' || url.search !== '') throw new HaproxyApiError(`route ${route.instanceId} has url ${route.url}; an HAProxy server is an address and port, without a path`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A name may resolve to both families; backends started by Gantry listen on IPv4 loopback.
  const addr = net.isIP(host) ? host : ((await lookup(host, { all: true })).sort((a, b) => a.family - b.family)[0]?.address ?? host);
  return { addr, port: url.port === '' ? 80 : Number(url.port) };
}

function sameRoute(a: Route, b: Route): boolean {
  return a.role === b.role && a.version === b.version && a.instanceId === b.instanceId && a.weight === b.weight;
}

function describe(routes: Route[]): string {
  return routes.length === 0 ? 'none' : routes.map((r) => `${r.role} ${r.version} ${r.weight}%`).join(', ');
}
