import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, open, readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertValidRouteTable } from '../../contracts/route-table-validation';
import { ADMIN_HOST, ROUTER_EXIT, routerArguments } from '../../contracts/router-protocol';
import type { Route } from '../../contracts/routes';
import { RouterAdminClient } from '../../router/router-admin-client';
import { findFreePort } from '../process/free-port';
import { readLastLines } from '../process/log-tail';
import { DEFAULT_KILL_GRACE_MS, isProcessAlive, isProcessGroupAlive, killProcessGroup } from '../process/process-group';
import { readJsonFile, writeJsonAtomic } from '../state-dir';
import type { RouterEndpoint, RouterOptions, RouterProvider } from './router';
import { adminTokenFileIn, readAdminToken, writeNewAdminToken } from './router-admin-token';

export interface EmbeddedRouterProviderOptions {
  /** `<GANTRY_HOME>/routers`: one folder per service environment. */
  root: string;
  /** The router program; by default the compiled `dist/router/main.js` (see {@link defaultRouterEntry}). */
  routerEntry?: string;
  /** How long a starting router may take to answer /healthz (default 10 s). */
  startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when stopping (default 5 s). */
  killGraceMs?: number;
  /** Processes serving each router's public port (default: the router's own, one per core up to 4). */
  workers?: number;
  /**
   * How long a router started again waits for its predecessor's public port to become
   * free before it gives that address up for a new one (default 3 s).
   */
  portWaitMs?: number;
}

/** `router.json`: how a worker (or the metrics provider) finds a running router. */
export interface RouterRecord {
  service: string;
  environment: string;
  pid: number;
  publicUrl: string;
  adminUrl: string;
  logFile: string;
  stateFile: string;
  /**
   * The 0600 file holding the token its admin API asks for (see router-admin-token.ts).
   * Absent in records of routers started before the admin API took tokens.
   */
  adminTokenFile?: string;
  startedAt: string;
  /** Set when this router could not take over its predecessor's public address. */
  addressChanged?: AddressChange;
}

/**
 * The environment's router serves at a new address: whatever still sends traffic to
 * `previousUrl` (clients, load balancers, DNS) reaches nothing until it is pointed at
 * the new one.
 */
export interface AddressChange {
  previousUrl: string;
  reason: string;
  at: string;
}

/** What {@link EmbeddedRouterProvider.ensureRouter} answers: a {@link RouterEndpoint}, plus whether the address moved. */
export interface EmbeddedRouterEndpoint extends RouterEndpoint {
  addressChanged?: AddressChange;
}

/** The ports a router is started on, and why its public address is not its predecessor's, if it is not. */
interface PortChoice {
  publicPort: number;
  adminPort: number;
  addressChanged?: AddressChange;
}

const HOST = '127.0.0.1';
const DEFAULT_START_TIMEOUT_MS = 10_000;
/**
 * A predecessor is already gone when ports are chosen (its group is killed first), so
 * this only covers a router another worker is stopping, or sockets the system has not
 * released yet; past it the port counts as taken for good and traffic should not stay
 * dark any longer.
 */
const DEFAULT_PORT_WAIT_MS = 3_000;
const POLL_MS = 50;
const HEALTH_TIMEOUT_MS = 1_000;
/** Tries with fresh ports when another process took one between choosing and binding it. */
const PORT_ATTEMPTS = 3;
const LOG_LINES_IN_ERRORS = 20;
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** Starts of one router in this process, so two concurrent activities do not start two. */
const starting = new Map<string, Promise<RouterRecord>>();

/**
 * The embedded router: one reverse-proxy process per service environment (see
 * src/router), driven over its loopback admin API.
 *
 * ```
 * <root>/<service>/<environment>/router.json   pid and addresses (RouterRecord)
 * <root>/<service>/<environment>/routes.json   the router's own state: routes and options
 * <root>/<service>/<environment>/admin-token   the admin API's token, mode 0600, new at every start
 * <root>/<service>/<environment>/router.log    its output (JSON lines)
 * ```
 *
 * The admin API listens on loopback only, apart from the public port, and answers only
 * requests that carry the token. A running router recorded without a token file was
 * started before tokens: its admin API would take a weight from anything on the
 * machine, so it is not driven but stopped and started again, with a token, on its
 * saved routes and its public port (a moment without traffic rather than an open door).
 *
 * Like deployed instances, routers are not children of the worker: they run detached
 * in their own process group, keep serving while workers restart, and are found again
 * through router.json. A router that died is started again on its old state, so it
 * comes back with the weights it had, and on its old ports, so it comes back at the
 * address everyone sends traffic to: the address is part of the environment. Only if
 * another program holds that port is a new one chosen, and the record, the returned
 * endpoint and router.log say the address changed.
 */
export class EmbeddedRouterProvider implements RouterProvider {
  private readonly root: string;
  private readonly routerEntry: string | undefined;
  private readonly startTimeoutMs: number;
  private readonly killGraceMs: number;
  private readonly workers: number | undefined;
  private readonly portWaitMs: number;

  constructor(options: EmbeddedRouterProviderOptions) {
    this.root = options.root;
    this.routerEntry = options.routerEntry;
    this.startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.workers = options.workers;
    this.portWaitMs = options.portWaitMs ?? DEFAULT_PORT_WAIT_MS;
  }

  async ensureRouter(service: string, environment: string, options?: RouterOptions): Promise<EmbeddedRouterEndpoint> {
    const record = await this.running(service, environment);
    if (options?.canaryUsers !== undefined) {
      await (await routerAdminClient(record)).setOptions({ canaryUsers: options.canaryUsers });
    }
    return { url: record.publicUrl, ...(record.addressChanged ? { addressChanged: record.addressChanged } : {}) };
  }

  async setRoutes(service: string, environment: string, routes: Route[]): Promise<void> {
    const table = assertValidRouteTable(routes, `${service} in ${environment}`);
    const record = await this.running(service, environment);
    await (await routerAdminClient(record)).setRoutes(table);
  }

  /** Empty when the environment never had a router; a router that died is started again (on its saved table) to answer. */
  async getRoutes(service: string, environment: string): Promise<Route[]> {
    const known = await readRouterRecord(this.root, service, environment);
    if (!known) return [];
    const record = await this.running(service, environment);
    return (await routerAdminClient(record)).getRoutes();
  }

  /** Stops the environment's router, if it runs; its saved routes stay for the next start. */
  async stopRouter(service: string, environment: string): Promise<void> {
    const record = await readRouterRecord(this.root, service, environment);
    if (record && isProcessGroupAlive(record.pid)) await killProcessGroup(record.pid, this.killGraceMs);
  }

  /** A router that answers as this environment's, started if needed. */
  private running(service: string, environment: string): Promise<RouterRecord> {
    const dir = routerDir(this.root, service, environment);
    let pending = starting.get(dir);
    if (!pending) {
      pending = this.findOrStart(dir, service, environment).finally(() => starting.delete(dir));
      starting.set(dir, pending);
    }
    return pending;
  }

  private async findOrStart(dir: string, service: string, environment: string): Promise<RouterRecord> {
    const existing = await readJsonFile<RouterRecord>(path.join(dir, 'router.json'));
    if (existing && isProcessAlive(existing.pid) && existing.adminTokenFile === undefined) {
      await noteInLog(existing.logFile, `router for ${service} in ${environment} (pid ${existing.pid}) was started before its admin API took a token; stopping it to start it again with one, on its saved routes and its public address`);
    } else if (existing && isProcessAlive(existing.pid)) {
      // Running, or still starting (another worker started it a moment ago): give it the start timeout.
      const answer = await this.awaitHealthy(existing, () => (isProcessAlive(existing.pid) ? undefined : 'exited'));
      if (answer.ok) return existing;
    }
    if (existing && isProcessGroupAlive(existing.pid)) await killProcessGroup(existing.pid, this.killGraceMs);

    const entry = this.routerEntry ?? defaultRouterEntry();
    // One bound for every attempt, so a port that keeps being taken cannot keep traffic dark for long.
    const portDeadline = Date.now() + this.portWaitMs;
    const startedHere = new Set<number>(existing ? [existing.pid] : []);
    for (let attempt = 1; ; attempt++) {
      const ports = await this.choosePorts(existing, portDeadline);
      if (ports.addressChanged) {
        // Another worker may have started this environment's router on that very port
        // meanwhile (routers are recorded before they bind): use it rather than move the address.
        const current = await readJsonFile<RouterRecord>(path.join(dir, 'router.json'));
        if (current && !startedHere.has(current.pid) && isProcessAlive(current.pid)) {
          const answer = await this.awaitHealthy(current, () => (isProcessAlive(current.pid) ? undefined : 'exited'));
          if (answer.ok) return current;
        }
      }
      const record = await this.start(dir, service, environment, entry, ports);
      startedHere.add(record.record.pid);
      const child = record.child;
      const answer = await this.awaitHealthy(record.record, () => howItEnded(child));
      if (answer.ok) return record.record;
      await killProcessGroup(record.record.pid, this.killGraceMs);
      if (child.exitCode === ROUTER_EXIT.portTaken && attempt < PORT_ATTEMPTS) continue;
      const lines = await readLastLines(record.record.logFile, LOG_LINES_IN_ERRORS);
      const log = lines.length > 0 ? lines.map((line) => `  ${line}`).join('\n') : '  (empty)';
      throw new Error(`the router for ${service} in ${environment} did not start: ${answer.reason}. Last lines of ${record.record.logFile}:\n${log}`);
    }
  }

  /**
   * The previous router's ports when they are free (waiting until `deadline` for the
   * public one), fresh ones otherwise. The admin port is only found in the record, so a
   * new one costs nobody anything; the public port is what clients know.
   */
  private async choosePorts(previous: RouterRecord | undefined, deadline: number): Promise<PortChoice> {
    if (!previous) {
      const publicPort = await findFreePort(HOST);
      return { publicPort, adminPort: await freshPort([publicPort]) };
    }
    const recordedPublic = recordedPort(previous.publicUrl);
    const recordedAdmin = recordedPort(previous.adminUrl);
    let publicFree = false;
    if (recordedPublic !== undefined) {
      for (;;) {
        publicFree = await isPortFree(recordedPublic);
        if (publicFree || Date.now() >= deadline) break;
        await sleep(POLL_MS);
      }
    }
    if (publicFree && recordedPublic !== undefined) {
      // A draining router closes its admin port before its public one, so one look is enough.
      const adminPort = recordedAdmin !== undefined && recordedAdmin !== recordedPublic && (await isPortFree(recordedAdmin)) ? recordedAdmin : await freshPort([recordedPublic]);
      return { publicPort: recordedPublic, adminPort };
    }
    const publicPort = await freshPort([]);
    const reason =
      recordedPublic === undefined
        ? `its recorded address ${previous.publicUrl} is not a port on ${HOST}`
        : `port ${recordedPublic} is held by another program (still taken after waiting ${this.portWaitMs} ms)`;
    return {
      publicPort,
      adminPort: await freshPort([publicPort]),
      addressChanged: { previousUrl: previous.publicUrl, reason, at: new Date().toISOString() },
    };
  }

  private async start(dir: string, service: string, environment: string, entry: string, ports: PortChoice): Promise<{ record: RouterRecord; child: ChildProcess }> {
    await mkdir(dir, { recursive: true });
    const settings = {
      service,
      environment,
      host: HOST,
      publicPort: ports.publicPort,
      adminPort: ports.adminPort,
      stateFile: path.join(dir, 'routes.json'),
      adminTokenFile: adminTokenFileIn(dir),
      ...(this.workers === undefined ? {} : { workers: this.workers }),
    };
    const logFile = path.join(dir, 'router.log');
    const publicUrl = `http://${HOST}:${settings.publicPort}`;
    if (ports.addressChanged) {
      // In the router's own log, just before its start lines: where someone looking into a dark environment looks first.
      const { previousUrl, reason, at } = ports.addressChanged;
      await noteInLog(logFile, `router for ${service} in ${environment} moves from ${previousUrl} to ${publicUrl}: ${reason}; whatever sends traffic to ${previousUrl} must be pointed at ${publicUrl}`, { time: at, previousUrl, publicUrl });
    }
    // A fresh token for every start: whoever held the predecessor's holds nothing now.
    await writeNewAdminToken(settings.adminTokenFile);
    const child = await spawnDetached(process.execPath, [entry, ...routerArguments(settings)], dir, logFile);
    const record: RouterRecord = {
      service,
      environment,
      pid: child.pid as number,
      publicUrl,
      adminUrl: `http://${ADMIN_HOST}:${settings.adminPort}`,
      logFile,
      stateFile: settings.stateFile,
      adminTokenFile: settings.adminTokenFile,
      startedAt: new Date().toISOString(),
      ...(ports.addressChanged ? { addressChanged: ports.addressChanged } : {}),
    };
    // Written before it answers, so a cleanup finds it even if this worker dies now.
    await writeJsonAtomic(path.join(dir, 'router.json'), record);
    return { record, child };
  }

  /** Polls /healthz until the router answers as the one recorded, ends, or the start timeout passes. */
  private async awaitHealthy(record: RouterRecord, exited: () => string | undefined): Promise<{ ok: true } | { ok: false; reason: string }> {
    let admin: RouterAdminClient;
    try {
      admin = await routerAdminClient(record, HEALTH_TIMEOUT_MS);
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    const deadline = Date.now() + this.startTimeoutMs;
    let last = 'not tried yet';
    for (;;) {
      const exit = exited();
      if (exit) return { ok: false, reason: `it ${exit} before ${record.adminUrl}/healthz answered` };
      try {
        const health = await admin.health();
        if (health.pid === record.pid && health.service === record.service && health.environment === record.environment) return { ok: true };
        last = `${record.adminUrl} is another process (pid ${health.pid}, ${health.service} in ${health.environment})`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() >= deadline) return { ok: false, reason: `no answer from ${record.adminUrl}/healthz within ${this.startTimeoutMs} ms (last: ${last})` };
      await sleep(POLL_MS);
    }
  }
}

/**
 * A client for a recorded router's admin API, with the token from its token file.
 * Throws for a router recorded without one (started before admin tokens): the provider
 * starts such a router again before it drives it.
 */
export async function routerAdminClient(record: RouterRecord, timeoutMs?: number): Promise<RouterAdminClient> {
  if (record.adminTokenFile === undefined) {
    throw new Error(`the router of ${record.service} in ${record.environment} (pid ${record.pid}) was started before its admin API took a token; the next rollout to that environment starts it again with one`);
  }
  return new RouterAdminClient(record.adminUrl, await readAdminToken(record.adminTokenFile), timeoutMs);
}

/** The record of an environment's router, if one was ever started (it may have stopped since). */
export function readRouterRecord(root: string, service: string, environment: string): Promise<RouterRecord | undefined> {
  return readJsonFile<RouterRecord>(path.join(routerDir(root, service, environment), 'router.json'));
}

/** Stops every router recorded under `root`; returns how many were running. For tests and demo cleanup. */
export async function stopAllRouters(root: string, killGraceMs = DEFAULT_KILL_GRACE_MS): Promise<number> {
  let stopped = 0;
  for (const service of await subdirectories(root)) {
    for (const environment of await subdirectories(path.join(root, service))) {
      const record = await readJsonFile<RouterRecord>(path.join(root, service, environment, 'router.json'));
      if (record && isProcessGroupAlive(record.pid)) {
        await killProcessGroup(record.pid, killGraceMs);
        stopped += 1;
      }
    }
  }
  return stopped;
}

/**
 * `dist/router/main.js`. From the compiled provider (dist/providers/router) it is two
 * folders up; when this file runs from its TypeScript source (jest), there is no .js
 * beside it and the compiled one at the repository root is used, which `npm run build`
 * produces.
 */
export function defaultRouterEntry(): string {
  const besideThis = path.resolve(__dirname, '../../router/main.js');
  if (existsSync(besideThis)) return besideThis;
  const compiled = path.resolve(__dirname, '../../../dist/router/main.js');
  if (existsSync(compiled)) return compiled;
  throw new Error(`the embedded router program ${compiled} does not exist; run \`npm run build\` first`);
}

/** A warning in the router's own log, where someone looking into its environment looks first. */
async function noteInLog(logFile: string, msg: string, fields: Record<string, string> = {}): Promise<void> {
  const line = { level: 40, time: new Date().toISOString(), provider: 'embedded-router', ...fields, msg };
  await appendFile(logFile, `${JSON.stringify(line)}\n`);
}

async function spawnDetached(command: string, args: string[], cwd: string, logFile: string): Promise<ChildProcess> {
  const log = await open(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', log.fd, log.fd], env: routerEnv() });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`could not start the router (${command} ${args[0]}): ${err.message}`)));
    });
    // The router must not keep the worker's event loop alive, nor die with it.
    child.unref();
    return child;
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
}

/** The worker's environment minus its Temporal settings: an API key has no business in a proxy. */
function routerEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TEMPORAL_') && !key.startsWith('GANTRY_ROUTER_')));
}

/** The port of a recorded `http://127.0.0.1:<port>` address; undefined for anything else. */
function recordedPort(url: string): number | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = Number(parsed.port);
  return parsed.hostname === HOST && Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Whether a listener could bind the port now, found by binding it. Node sets
 * SO_REUSEADDR as the router does, so connections of a dead router still in TIME_WAIT
 * do not count as taken.
 */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err)));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free port other than `except` (ports chosen for this start, not yet bound, so the system could hand them out again). */
async function freshPort(except: number[]): Promise<number> {
  for (;;) {
    const port = await findFreePort(HOST);
    if (!except.includes(port)) return port;
  }
}

function howItEnded(child: ChildProcess): string | undefined {
  if (child.signalCode) return `was killed by ${child.signalCode}`;
  if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
  return undefined;
}

function routerDir(root: string, service: string, environment: string): string {
  return path.join(root, safeSegment('service', service), safeSegment('environment', environment));
}

/** Names become directory names: nothing that could climb out of the root. */
function safeSegment(what: string, value: string): string {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) {
    throw new Error(`${what} "${value}" cannot be used as a directory name: use letters, digits, . _ + - (no ..)`);
  }
  return value;
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
