import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { ROUTER_EXIT, routerArguments } from '../../src/contracts/router-protocol';
import type { Route } from '../../src/contracts/routes';
import { findFreePort } from '../../src/providers/process/free-port';
import { isProcessAlive, killProcessGroup } from '../../src/providers/process/process-group';
import { defaultRouterEntry, EmbeddedRouterProvider, readRouterRecord, routerAdminClient, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import type { RouterRecord } from '../../src/providers/router/embedded-router-provider';
import { adminTokenFileIn, readAdminToken, writeNewAdminToken } from '../../src/providers/router/router-admin-token';
import { writeJsonAtomic } from '../../src/providers/state-dir';
import { createAdminServer } from '../../src/router/admin-server';
import { isLoopback } from '../../src/router/admin-access';
import { AdminToken } from '../../src/router/admin-token';
import { RouterAdminClient } from '../../src/router/router-admin-client';
import { RouterState } from '../../src/router/router-state';
import { VersionBackend } from './version-backend';
import { closeTraffic, send, tally, sendMany } from './traffic';

/**
 * No side doors: the embedded router's admin API (which sets weights) answers only a
 * process on this machine that holds the token the worker side wrote for it, and listens
 * on loopback apart from the public port even when that port is on every interface.
 */

const SERVICE = 'web';
const ENV = 'production';

let root: string;
let provider: EmbeddedRouterProvider;
let stable: VersionBackend;
let canary: VersionBackend;
let record: RouterRecord;
const spawned: ChildProcess[] = [];

const route = (backend: VersionBackend, role: Route['role'], weight: number): Route => ({
  instanceId: `${backend.version}-0123456789ab`,
  version: backend.version,
  url: backend.url,
  weight,
  role,
});
const split = (s: number, c: number): Route[] => [route(stable, 'stable', s), route(canary, 'canary', c)];

/** An IPv4 address of this machine other than loopback, if it has one. */
function outsideAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

/** One request with whatever Authorization header the test chooses (or none), from `localAddress` if given. */
function call(url: string, method: string, options: { authorization?: string; body?: unknown; localAddress?: string } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const text = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: 3_000,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: { ...(options.authorization ? { authorization: options.authorization } : {}), ...(text ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end(text);
  });
}

/** The error code of connecting to host:port, or 'connected'. */
function connectOutcome(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/healthz', agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve('connected');
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gantry-admin-token-'));
  provider = new EmbeddedRouterProvider({ root, startTimeoutMs: 15_000, workers: 2 });
  stable = await VersionBackend.start('1.0.0');
  canary = await VersionBackend.start('1.1.0');
  await provider.ensureRouter(SERVICE, ENV);
  await provider.setRoutes(SERVICE, ENV, split(90, 10));
  record = (await readRouterRecord(root, SERVICE, ENV)) as RouterRecord;
});

afterAll(async () => {
  await stopAllRouters(root);
  for (const child of spawned) if (child.pid && isProcessAlive(child.pid)) await killProcessGroup(child.pid, 1_000);
  closeTraffic();
  await Promise.all([stable?.close(), canary?.close()]);
  await rm(root, { recursive: true, force: true });
});

describe("the embedded router's admin API", () => {
  it('refuses a weight change without the token with 401, and the weights stay as they were', async () => {
    const answer = await call(`${record.adminUrl}/routes`, 'PUT', { body: split(0, 100) });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(JSON.parse(answer.body).error).toContain('needs the router\'s token');
    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(split(90, 10));
  });

  it('refuses a wrong token, a token in the wrong scheme, and reads too, with 401', async () => {
    const token = await readAdminToken(record.adminTokenFile as string);
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    expect((await call(`${record.adminUrl}/routes`, 'PUT', { authorization: `Bearer ${wrong}`, body: split(0, 100) })).status).toBe(401);
    expect((await call(`${record.adminUrl}/routes`, 'PUT', { authorization: `Bearer ${token}x`, body: split(0, 100) })).status).toBe(401);
    expect((await call(`${record.adminUrl}/routes`, 'PUT', { authorization: `Basic ${token}`, body: split(0, 100) })).status).toBe(401);
    for (const read of ['/routes', '/options', '/stats', '/metrics', '/healthz']) {
      expect((await call(`${record.adminUrl}${read}`, 'GET')).status).toBe(401);
    }
    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(split(90, 10));
  });

  it('applies a weight change that carries the token', async () => {
    const token = await readAdminToken(record.adminTokenFile as string);
    const answer = await call(`${record.adminUrl}/routes`, 'PUT', { authorization: `Bearer ${token}`, body: split(0, 100) });
    expect(answer.status).toBe(200);
    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(split(0, 100));
    expect(tally(await sendMany(record.publicUrl, 20))).toEqual({ '1.1.0': 20 });
    await provider.setRoutes(SERVICE, ENV, split(90, 10));
  });

  it('keeps the token in a 0600 file, and out of command lines, environments and the log', async () => {
    const token = await readAdminToken(record.adminTokenFile as string);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect((await stat(record.adminTokenFile as string)).mode & 0o777).toBe(0o600);
    const processes = [record.pid, ...childPids(record.pid)];
    expect(processes.length).toBe(3);
    for (const pid of processes) {
      expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(token);
      expect(await readFile(`/proc/${pid}/environ`, 'utf8')).not.toContain(token);
    }
    expect(JSON.stringify(record)).not.toContain(token);
    // Refused requests are in the log (who and where), the token they lacked is not.
    const log = await readFile(record.logFile, 'utf8');
    expect(log).toContain('refused (401)');
    expect(log).not.toContain(token);
  });

  it('listens on loopback apart from the public port, even when the public port is on every interface', async () => {
    const dir = path.join(root, 'exposed');
    const adminTokenFile = adminTokenFileIn(dir);
    await writeNewAdminToken(adminTokenFile);
    const publicPort = await findFreePort('0.0.0.0');
    const adminPort = await findFreePort();
    const settings = { service: SERVICE, environment: 'exposed', host: '0.0.0.0', publicPort, adminPort, stateFile: path.join(dir, 'routes.json'), adminTokenFile, workers: 1 };
    const child = spawn(process.execPath, [defaultRouterEntry(), ...routerArguments(settings)], { detached: true, stdio: 'ignore' });
    spawned.push(child);
    const admin = new RouterAdminClient(`http://127.0.0.1:${adminPort}`, await readAdminToken(adminTokenFile), 1_000);
    for (let tries = 0; !(await admin.health().then(() => true, () => false)); tries++) {
      if (tries > 200) throw new Error('the exposed router did not start');
      await sleep(50);
    }

    const outside = outsideAddress();
    if (outside) {
      // The public port answers on the machine's own address; the admin port is not there at all.
      expect((await send(`http://${outside}:${publicPort}`)).status).toBe(503);
      expect(await connectOutcome(outside, adminPort)).toBe('ECONNREFUSED');
    }
    // Whatever the interfaces, the kernel's table of listening sockets has the admin port on 127.0.0.1 only.
    const listening = await listeningAddresses(adminPort);
    expect(listening).toEqual(['127.0.0.1']);
    expect(await listeningAddresses(publicPort)).toEqual(['0.0.0.0']);
  });

  it('answers 403 to a request from another address even with the right token', async () => {
    const outside = outsideAddress();
    if (!outside) return; // Only loopback here: nothing can come from elsewhere.
    // The real admin server, on every interface as a mistaken deployment might expose it.
    const dir = await mkdtemp(path.join(root, 'forwarded-'));
    const tokenFile = adminTokenFileIn(dir);
    await writeNewAdminToken(tokenFile);
    const state = await RouterState.load(path.join(dir, 'routes.json'));
    const published: unknown[] = [];
    const traffic = {
      count: 1,
      publish: async (policy: unknown) => void published.push(policy),
      stats: async (windowMs: number) => ({ windowMs, versions: {} }),
      metrics: async () => ({ text: '', contentType: 'text/plain' }),
    };
    const server = createAdminServer({ service: SERVICE, environment: 'forwarded', state, traffic, token: await AdminToken.load(tokenFile), log: pino({ level: 'silent' }) });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const authorization = `Bearer ${await readAdminToken(tokenFile)}`;
      const fromOutside = await call(`http://${outside}:${port}/routes`, 'PUT', { authorization, body: split(100, 0), localAddress: outside });
      expect(fromOutside.status).toBe(403);
      expect(JSON.parse(fromOutside.body).error).toContain(`${outside} is not`);
      expect(published).toEqual([]);
      expect(state.routes).toEqual([]);
      // The same request from loopback is taken.
      expect((await call(`http://127.0.0.1:${port}/routes`, 'PUT', { authorization, body: split(100, 0) })).status).toBe(200);
      expect(state.routes).toEqual(split(100, 0));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['192.0.2.2', '0.0.0.0', '::', '::ffff:10.0.0.1', 'fd00::2', ''].some(isLoopback)).toBe(false);
  });

  it('does not start when its token file is missing or readable by others', async () => {
    const dir = await mkdtemp(path.join(root, 'loose-'));
    const tokenFile = adminTokenFileIn(dir);
    await writeNewAdminToken(tokenFile);
    await chmod(tokenFile, 0o644);
    const settings = { service: SERVICE, environment: 'loose', host: '127.0.0.1', publicPort: 0, adminPort: 0, stateFile: path.join(dir, 'routes.json'), adminTokenFile: tokenFile, workers: 1 };
    const loose = await runToExit(routerArguments(settings));
    expect(loose.code).toBe(ROUTER_EXIT.badSettings);
    expect(loose.output).toContain(`the admin token file ${tokenFile} has mode 644; only its owner may read it: chmod 600`);

    await writeFile(tokenFile, 'short\n', { mode: 0o600 });
    await chmod(tokenFile, 0o600);
    const short = await runToExit(routerArguments(settings));
    expect(short.code).toBe(ROUTER_EXIT.badSettings);
    expect(short.output).toContain('a token is at least 43 characters');

    const withoutFlag = routerArguments(settings).slice(0, -4);
    const missing = await runToExit([...withoutFlag, '--workers', '1']);
    expect(missing.code).toBe(ROUTER_EXIT.badSettings);
    expect(missing.output).toContain('--admin-token-file (or GANTRY_ROUTER_ADMIN_TOKEN_FILE) is required');
  });

  it('starts a router recorded without a token (started before tokens) again with one, on its routes and public address', async () => {
    const before = (await readRouterRecord(root, SERVICE, ENV)) as RouterRecord;
    const { adminTokenFile: _dropped, ...untokened } = before;
    await writeJsonAtomic(path.join(root, SERVICE, ENV, 'router.json'), untokened);

    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(split(90, 10));
    const after = (await readRouterRecord(root, SERVICE, ENV)) as RouterRecord;
    expect(after.pid).not.toBe(before.pid);
    expect(isProcessAlive(before.pid)).toBe(false);
    expect(after.publicUrl).toBe(before.publicUrl);
    expect(after.adminTokenFile).toBe(before.adminTokenFile);
    expect(await readFile(after.logFile, 'utf8')).toContain('was started before its admin API took a token; stopping it to start it again with one');
    await expect((await routerAdminClient(after)).getRoutes()).resolves.toEqual(split(90, 10));
    // A new start, a new token: the old one opens nothing.
    expect((await call(`${after.adminUrl}/routes`, 'GET', { authorization: `Bearer ${await readAdminToken(before.adminTokenFile as string)}x` })).status).toBe(401);
    record = after;
  });
});

/** The local addresses the kernel lists as listening on `port` (from /proc/net/tcp). */
async function listeningAddresses(port: number): Promise<string[]> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`))
    .map((fields) => {
      const hex = (fields[1] as string).split(':')[0] as string;
      // Little-endian IPv4 in hex.
      return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
    })
    .filter((address, i, all) => all.indexOf(address) === i);
}

function runToExit(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [defaultRouterEntry(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}
