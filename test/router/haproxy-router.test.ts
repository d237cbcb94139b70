import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PREVIEW_HEADER, USER_COOKIE, USER_HEADER } from '../../src/contracts/headers';
import { InvalidRoutesError } from '../../src/contracts/route-table-validation';
import type { Route } from '../../src/contracts/routes';
import { HaproxyRuntimeApi, inMaintenance } from '../../src/providers/router/haproxy-runtime-api';
import { HaproxyRouterProvider } from '../../src/providers/router/haproxy-router-provider';
import { startHaproxy } from '../support/haproxy';
import type { RunningHaproxy } from '../support/haproxy';
import { VersionBackend } from './version-backend';
import { closeTraffic, send, sendMany, tally } from './traffic';

let stateDir: string;
let haproxy: RunningHaproxy;
let provider: HaproxyRouterProvider;
let api: HaproxyRuntimeApi;
let stable: VersionBackend;
let canary: VersionBackend;

const route = (backend: VersionBackend, role: Route['role'], weight: number): Route => ({
  instanceId: `${backend.version}-0123456789ab`,
  version: backend.version,
  url: backend.url,
  weight,
  role,
});
const split = (s: number, c: number): Route[] => [route(stable, 'stable', s), route(canary, 'canary', c)];
const setSplit = (s: number, c: number) => provider.setRoutes('web', 'production', split(s, c));

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'gantry-haproxy-state-'));
  stable = await VersionBackend.start('1.0.0');
  canary = await VersionBackend.start('1.1.0');
  haproxy = await startHaproxy({ canaryUsers: ['alice'] });
  provider = new HaproxyRouterProvider({ socket: haproxy.socket, backend: haproxy.backend, url: haproxy.url, stateDir });
  api = new HaproxyRuntimeApi(haproxy.socket);
});

afterAll(async () => {
  closeTraffic();
  await haproxy?.stop();
  await Promise.all([stable?.close(), canary?.close()]);
  await rm(stateDir, { recursive: true, force: true });
});

describe('HaproxyRouterProvider against a real HAProxy', () => {
  it('checks that HAProxy answers and has the backend, and returns its url', async () => {
    await expect(provider.ensureRouter()).resolves.toEqual({ url: haproxy.url });
    const wrongBackend = new HaproxyRouterProvider({ socket: haproxy.socket, backend: 'nope', url: haproxy.url, stateDir });
    await expect(wrongBackend.ensureRouter()).rejects.toThrow('has no backend "nope"');
    const noSocket = new HaproxyRouterProvider({ socket: path.join(stateDir, 'missing.sock'), backend: haproxy.backend, url: haproxy.url, stateDir });
    await expect(noSocket.ensureRouter()).rejects.toThrow(/no such socket; is HAProxy running with `stats socket/);
  });

  it('has no routes while both servers are still disabled as configured', async () => {
    await expect(provider.getRoutes()).resolves.toEqual([]);
    expect((await send(haproxy.url)).status).toBe(503);
  });

  it('sends everything to stable at 100/0 and to the canary at 0/100', async () => {
    await setSplit(100, 0);
    expect(tally(await sendMany(haproxy.url, 100))).toEqual({ '1.0.0': 100 });
    await setSplit(0, 100);
    expect(tally(await sendMany(haproxy.url, 100))).toEqual({ '1.1.0': 100 });
  });

  it('splits 50/50', async () => {
    await setSplit(50, 50);
    const counts = tally(await sendMany(haproxy.url, 400));
    expect((counts['1.0.0'] ?? 0) + (counts['1.1.0'] ?? 0)).toBe(400);
    expect(counts['1.1.0']).toBeGreaterThan(160);
    expect(counts['1.1.0']).toBeLessThan(240);
  });

  it('reads the table back from `show servers state`', async () => {
    await setSplit(80, 20);
    await expect(provider.getRoutes()).resolves.toEqual(split(80, 20));
    const servers = await api.serversState(haproxy.backend);
    const port = (url: string) => Number(new URL(url).port);
    expect(servers.map((s) => ({ name: s.name, addr: s.addr, port: s.port, weight: s.weight, maint: inMaintenance(s) }))).toEqual([
      { name: 'stable', addr: '127.0.0.1', port: port(stable.url), weight: 80, maint: false },
      { name: 'canary', addr: '127.0.0.1', port: port(canary.url), weight: 20, maint: false },
    ]);
  });

  it('says so when HAProxy no longer matches what Gantry set', async () => {
    await setSplit(80, 20);
    await api.setWeight(haproxy.backend, 'canary', 7);
    const routes = await provider.getRoutes();
    expect(routes[0]).toEqual(route(stable, 'stable', 80));
    expect(routes[1]).toEqual({ role: 'canary', instanceId: 'unknown', version: 'unknown', url: canary.url, weight: 7 });
    // Setting the table again repairs it: setRoutes is idempotent.
    await setSplit(80, 20);
    await expect(provider.getRoutes()).resolves.toEqual(split(80, 20));
  });

  it('puts a role without a route in maintenance with weight 0', async () => {
    await provider.setRoutes('web', 'production', [route(stable, 'stable', 100)]);
    await expect(provider.getRoutes()).resolves.toEqual([route(stable, 'stable', 100)]);
    const canaryServer = (await api.serversState(haproxy.backend)).find((s) => s.name === 'canary');
    expect(canaryServer && inMaintenance(canaryServer)).toBe(true);
    expect(canaryServer?.weight).toBe(0);
    // Preview traffic cannot reach a canary in maintenance: HAProxy balances it as usual.
    expect(tally(await sendMany(haproxy.url, 20, () => ({ [PREVIEW_HEADER]: 'always' })))).toEqual({ '1.0.0': 20 });
  });

  it('sends preview requests and allow-listed users to the canary at weight 0 (the documented rules)', async () => {
    await setSplit(100, 0);
    expect(tally(await sendMany(haproxy.url, 20, () => ({ [PREVIEW_HEADER]: 'always' })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(haproxy.url, 20, () => ({ [PREVIEW_HEADER]: 'Always' })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(haproxy.url, 20, () => ({ [USER_HEADER]: 'alice' })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(haproxy.url, 20, () => ({ cookie: `${USER_COOKIE}=alice` })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(haproxy.url, 20, () => ({ [USER_HEADER]: 'bob' })))).toEqual({ '1.0.0': 20 });
    expect(tally(await sendMany(haproxy.url, 40))).toEqual({ '1.0.0': 40 });
  });

  it('keeps each user on one server with the documented consistent hashing', async () => {
    await setSplit(50, 50);
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const seen = new Map<string, Set<string>>();
    for (let round = 0; round < 5; round++) {
      for (const user of users) {
        const answer = await send(haproxy.url, { [USER_HEADER]: user });
        seen.set(user, (seen.get(user) ?? new Set()).add(answer.body));
      }
    }
    expect([...seen.values()].every((versions) => versions.size === 1)).toBe(true);
    const inCanary = users.filter((u) => seen.get(u)?.has('1.1.0')).length;
    expect(inCanary).toBeGreaterThan(5);
    expect(inCanary).toBeLessThan(35);
  });

  it('changes weights under load without a reload and without failing a request', async () => {
    stable.delayMs = 5;
    canary.delayMs = 5;
    try {
      await setSplit(100, 0);
      const answers: Array<{ status: number }> = [];
      let running = true;
      const client = async () => {
        while (running) answers.push(await send(haproxy.url));
      };
      const clients = Array.from({ length: 8 }, client);
      for (const [s, c] of [
        [90, 10],
        [0, 100],
        [100, 0],
        [50, 50],
      ]) {
        await sleep(200);
        await setSplit(s as number, c as number);
      }
      await sleep(200);
      running = false;
      await Promise.all(clients);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(answers.length).toBeGreaterThan(100);
    } finally {
      stable.delayMs = 0;
      canary.delayMs = 0;
    }
    // The same HAProxy process served everything: changes went over the socket, not through a reload.
    const info = await api.info();
    expect(Number(info.Pid)).toBe(haproxy.pid);
    expect(() => process.kill(haproxy.pid, 0)).not.toThrow();
  });

  it('refuses a runtime socket that its group or others can write, naming the socket and the fix, and changes nothing', async () => {
    await setSplit(70, 30);
    expect((await stat(haproxy.socket)).mode & 0o777).toBe(0o600);
    try {
      for (const loose of [0o660, 0o602, 0o777]) {
        await chmod(haproxy.socket, loose);
        const refusal = `HAProxy runtime socket ${haproxy.socket} (mode ${loose.toString(8)}`;
        await expect(provider.ensureRouter()).rejects.toThrow(refusal);
        await expect(provider.setRoutes('web', 'production', split(0, 100))).rejects.toThrow(/write to it, so they can change weights without Gantry; declare it with `mode 600`/);
        await expect(provider.getRoutes()).rejects.toThrow(refusal);
      }
      // Read-only for others is no door: connecting to a Unix socket takes write permission.
      await chmod(haproxy.socket, 0o644);
      await expect(provider.getRoutes()).resolves.toEqual(split(70, 30));
    } finally {
      await chmod(haproxy.socket, 0o600);
    }
    await expect(provider.getRoutes()).resolves.toEqual(split(70, 30));
    expect(tally(await sendMany(haproxy.url, 100))['1.1.0']).toBeLessThan(60);
  });

  it('refuses an invalid table before touching HAProxy', async () => {
    await setSplit(60, 40);
    await expect(provider.setRoutes('web', 'production', split(60, 60))).rejects.toThrow(InvalidRoutesError);
    await expect(provider.setRoutes('web', 'production', [{ ...route(stable, 'stable', 100), url: `${stable.url}/prefix` }])).rejects.toThrow('without a path');
    await expect(provider.getRoutes()).resolves.toEqual(split(60, 40));
  });
});
