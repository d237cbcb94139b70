import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PREVIEW_HEADER, USER_COOKIE, USER_HEADER } from '../../src/contracts/headers';
import { InvalidRoutesError } from '../../src/contracts/route-table-validation';
import { ROUTER_METRICS, routerArguments, type RouterStats } from '../../src/contracts/router-protocol';
import type { Route } from '../../src/contracts/routes';
import { findFreePort } from '../../src/providers/process/free-port';
import { isProcessAlive, killProcessGroup } from '../../src/providers/process/process-group';
import { defaultRouterEntry, EmbeddedRouterProvider, readRouterRecord, routerAdminClient, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import type { RouterRecord } from '../../src/providers/router/embedded-router-provider';
import { adminTokenFileIn, readAdminToken, writeNewAdminToken } from '../../src/providers/router/router-admin-token';
import { stickyBucket } from '../../src/router/choose-route';
import type { RouterAdminClient } from '../../src/router/router-admin-client';
import { VersionBackend } from './version-backend';
import { closeTraffic, send, sendMany, tally } from './traffic';

const SERVICE = 'web';
const ENV = 'production';

let root: string;
let provider: EmbeddedRouterProvider;
let stable: VersionBackend;
let canary: VersionBackend;
let routerUrl: string;
const backends: VersionBackend[] = [];
const pids = new Set<number>();

const route = (backend: VersionBackend, role: Route['role'], weight: number): Route => ({
  instanceId: `${backend.version}-0123456789ab`,
  version: backend.version,
  url: backend.url,
  weight,
  role,
});
const split = (stableWeight: number, canaryWeight: number): Route[] => [route(stable, 'stable', stableWeight), route(canary, 'canary', canaryWeight)];
const setSplit = (stableWeight: number, canaryWeight: number) => provider.setRoutes(SERVICE, ENV, split(stableWeight, canaryWeight));

async function startBackend(version: string): Promise<VersionBackend> {
  const backend = await VersionBackend.start(version);
  backends.push(backend);
  return backend;
}

async function admin(): Promise<RouterAdminClient> {
  const record = await readRouterRecord(root, SERVICE, ENV);
  if (!record) throw new Error('no router record');
  pids.add(record.pid);
  return routerAdminClient(record);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gantry-router-'));
  provider = new EmbeddedRouterProvider({ root, startTimeoutMs: 15_000 });
  stable = await startBackend('1.0.0');
  canary = await startBackend('1.1.0');
  routerUrl = (await provider.ensureRouter(SERVICE, ENV, { canaryUsers: ['alice'] })).url;
  await admin();
});

afterAll(async () => {
  await stopAllRouters(root);
  closeTraffic();
  await Promise.all(backends.map((b) => b.close()));
  // Every router this file started is gone, not just the last one.
  for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  await rm(root, { recursive: true, force: true });
});

describe('the embedded router', () => {
  it('answers 503 with a clear body while it has no routes, and getRoutes is empty', async () => {
    const answer = await send(routerUrl);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain(`router of ${SERVICE} in ${ENV} has no routes yet`);
    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual([]);
  });

  it('returns the running router from ensureRouter rather than starting another', async () => {
    const before = await readRouterRecord(root, SERVICE, ENV);
    const again = await provider.ensureRouter(SERVICE, ENV, { canaryUsers: ['alice'] });
    expect(again.url).toBe(routerUrl);
    expect((await readRouterRecord(root, SERVICE, ENV))?.pid).toBe(before?.pid);
    expect(routerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('sends everything to stable at 100/0 and everything to the canary at 0/100, naming the version', async () => {
    await setSplit(100, 0);
    const allStable = await sendMany(routerUrl, 200);
    expect(tally(allStable)).toEqual({ '1.0.0': 200 });
    expect(allStable.every((a) => a.status === 200 && a.versionHeader === '1.0.0')).toBe(true);

    await setSplit(0, 100);
    const allCanary = await sendMany(routerUrl, 200);
    expect(tally(allCanary)).toEqual({ '1.1.0': 200 });
    expect(allCanary.every((a) => a.versionHeader === '1.1.0')).toBe(true);
    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(split(0, 100));
  });

  it('splits requests without a user key by weight: 90/10 over 2000 requests', async () => {
    await setSplit(90, 10);
    const answers = await sendMany(routerUrl, 2000);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const share = (tally(answers)['1.1.0'] ?? 0) / answers.length;
    // Binomial(2000, 0.1): mean 200, sd 13.4; 6–14 % is six standard deviations either way.
    expect(share).toBeGreaterThan(0.06);
    expect(share).toBeLessThan(0.14);
  });

  it('keeps a user on one version, and keeps canary users in the canary as its weight grows', async () => {
    await setSplit(90, 10);
    const users = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const versionAt10 = new Map<string, string>();
    for (const user of users) versionAt10.set(user, (await send(routerUrl, { [USER_HEADER]: user })).body);

    for (const user of users.slice(0, 10)) {
      const answers = await sendMany(routerUrl, 50, () => ({ [USER_HEADER]: user }), 8);
      expect(new Set(answers.map((a) => a.body))).toEqual(new Set([versionAt10.get(user)]));
    }
    // The cookie carries the same key when the header is absent.
    for (const user of users.slice(0, 20)) {
      expect((await send(routerUrl, { cookie: `theme=dark; ${USER_COOKIE}=${user}` })).body).toBe(versionAt10.get(user));
    }

    const inCanaryAt10 = users.filter((u) => versionAt10.get(u) === '1.1.0');
    expect(inCanaryAt10).toEqual(users.filter((u) => stickyBucket(u) < 10));
    expect(inCanaryAt10.length).toBeGreaterThan(10);

    await setSplit(50, 50);
    const versionAt50 = new Map<string, string>();
    for (const user of users) versionAt50.set(user, (await send(routerUrl, { [USER_HEADER]: user })).body);
    for (const user of inCanaryAt10) expect(versionAt50.get(user)).toBe('1.1.0');
    const inCanaryAt50 = users.filter((u) => versionAt50.get(u) === '1.1.0');
    expect(inCanaryAt50.length).toBeGreaterThan(inCanaryAt10.length * 3);
  });

  it('sends allow-listed users and preview requests to the canary at weight 0', async () => {
    await setSplit(100, 0);
    expect(tally(await sendMany(routerUrl, 20, () => ({ [USER_HEADER]: 'alice' })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(routerUrl, 20, () => ({ cookie: `${USER_COOKIE}=alice` })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(routerUrl, 20, () => ({ [PREVIEW_HEADER]: 'always' })))).toEqual({ '1.1.0': 20 });
    expect(tally(await sendMany(routerUrl, 20, () => ({ [USER_HEADER]: 'bob' })))).toEqual({ '1.0.0': 20 });
    expect(tally(await sendMany(routerUrl, 20))).toEqual({ '1.0.0': 20 });

    // The allow-list comes from ensureRouter's options and can change.
    await provider.ensureRouter(SERVICE, ENV, { canaryUsers: ['bob'] });
    expect(tally(await sendMany(routerUrl, 10, () => ({ [USER_HEADER]: 'alice' })))).toEqual({ '1.0.0': 10 });
    expect(tally(await sendMany(routerUrl, 10, () => ({ [USER_HEADER]: 'bob' })))).toEqual({ '1.1.0': 10 });
    await provider.ensureRouter(SERVICE, ENV, { canaryUsers: ['alice'] });
  });

  it('changes weights under continuous load without failing a single request', async () => {
    stable.delayMs = 5;
    canary.delayMs = 5;
    try {
      await setSplit(100, 0);
      const answers: Array<{ status: number; body: string }> = [];
      let running = true;
      const client = async () => {
        while (running) answers.push(await send(routerUrl));
      };
      const clients = Array.from({ length: 16 }, client);
      for (const [s, c] of [
        [90, 10],
        [50, 50],
        [0, 100],
        [100, 0],
        [25, 75],
        [100, 0],
      ]) {
        await sleep(250);
        await setSplit(s as number, c as number);
      }
      await sleep(250);
      running = false;
      await Promise.all(clients);
      const failures = answers.filter((a) => a.status !== 200);
      expect(failures).toEqual([]);
      expect(answers.length).toBeGreaterThan(500);
      expect(Object.keys(tally(answers)).sort()).toEqual(['1.0.0', '1.1.0']);
    } finally {
      stable.delayMs = 0;
      canary.delayMs = 0;
    }
  });

  it('lets a request in flight finish on its backend when the table changes under it', async () => {
    await setSplit(100, 0);
    stable.delayMs = 500;
    try {
      const inFlight = send(routerUrl);
      await sleep(150);
      // Stable leaves the table entirely while the request is still being answered.
      await provider.setRoutes(SERVICE, ENV, [route(canary, 'canary', 100)]);
      expect((await send(routerUrl)).body).toBe('1.1.0');
      await expect(inFlight).resolves.toMatchObject({ status: 200, body: '1.0.0', versionHeader: '1.0.0' });
    } finally {
      stable.delayMs = 0;
    }
  });

  it('reports per-version requests, errors and latency percentiles in /stats', async () => {
    // Versions of their own, so earlier tests' traffic does not mix in.
    const slow = await startBackend('2.0.0-slow');
    const flaky = await startBackend('2.0.0-flaky');
    slow.delayMs = 50;
    flaky.failEvery = 4;
    await provider.setRoutes(SERVICE, ENV, [route(slow, 'stable', 100), route(flaky, 'canary', 0)]);

    const slowAnswers = await sendMany(routerUrl, 100, () => ({}), 10);
    const flakyAnswers = await sendMany(routerUrl, 100, () => ({ [PREVIEW_HEADER]: 'always' }), 10);
    expect(tally(slowAnswers)).toEqual({ '2.0.0-slow': 100 });
    expect(flakyAnswers.filter((a) => a.status === 500)).toHaveLength(25);

    const stats: RouterStats = await (await admin()).stats(60_000);
    expect(stats.windowMs).toBe(60_000);
    const slowStats = stats.versions['2.0.0-slow'];
    const flakyStats = stats.versions['2.0.0-flaky'];
    expect(slowStats).toMatchObject({ requests: 100, errors: 0 });
    expect(slowStats?.latencyMs.p50).toBeGreaterThanOrEqual(48);
    expect(slowStats?.latencyMs.p50).toBeLessThan(120);
    expect(slowStats?.latencyMs.p99).toBeGreaterThanOrEqual(slowStats?.latencyMs.p50 as number);
    expect(flakyStats).toMatchObject({ requests: 100, errors: 25 });
    expect(flakyStats?.latencyMs.p50).toBeLessThan(48);

    // A backend that does not answer at all: 502, counted as an error.
    const gone = `http://127.0.0.1:${await findFreePort()}`;
    await provider.setRoutes(SERVICE, ENV, [{ ...route(slow, 'stable', 100), version: '2.0.0-gone', url: gone }]);
    const unreachable = await sendMany(routerUrl, 5);
    expect(unreachable.every((a) => a.status === 502 && a.versionHeader === '2.0.0-gone')).toBe(true);
    expect(unreachable[0]?.body).toContain(`could not reach ${SERVICE} 2.0.0-gone`);
    expect((await (await admin()).stats(60_000)).versions['2.0.0-gone']).toMatchObject({ requests: 5, errors: 5 });

    // A backend that dies halfway through its answer: the client's answer is cut too, and it counts as an error.
    const cut = await startBackend('2.0.0-cut');
    cut.cutAnswers = true;
    await provider.setRoutes(SERVICE, ENV, [route(cut, 'stable', 100)]);
    const cutAnswers = await sendMany(routerUrl, 3, () => ({}), 1);
    expect(cutAnswers.every((a) => a.body !== '2.0.0-cut')).toBe(true);
    expect((await (await admin()).stats(60_000)).versions['2.0.0-cut']).toMatchObject({ requests: 3, errors: 3 });

    // A client that gives up first is counted (4xx, like nginx's 499) but not held against the version.
    const patient = await startBackend('2.0.0-abandoned');
    patient.delayMs = 300;
    await provider.setRoutes(SERVICE, ENV, [route(patient, 'stable', 100)]);
    expect((await send(routerUrl, {}, 50)).status).toBe(0);
    await sleep(400);
    expect((await (await admin()).stats(60_000)).versions['2.0.0-abandoned']).toMatchObject({ requests: 1, errors: 0 });

    const metrics = await (await admin()).metrics();
    expect(metrics).toContain(`${ROUTER_METRICS.requests}{service="${SERVICE}",environment="${ENV}",version="2.0.0-gone",code_class="error"} 5`);
    expect(metrics).toContain(`${ROUTER_METRICS.requests}{service="${SERVICE}",environment="${ENV}",version="2.0.0-flaky",code_class="5xx"} 25`);
    expect(metrics).toContain(`${ROUTER_METRICS.requests}{service="${SERVICE}",environment="${ENV}",version="2.0.0-flaky",code_class="2xx"} 75`);
    expect(metrics).toContain(`${ROUTER_METRICS.requests}{service="${SERVICE}",environment="${ENV}",version="2.0.0-abandoned",code_class="4xx"} 1`);
    expect(metrics).toContain(`${ROUTER_METRICS.requests}{service="${SERVICE}",environment="${ENV}",version="2.0.0-cut",code_class="error"} 3`);

    await expect((await admin()).stats(0)).rejects.toThrow(/windowMs must be a whole number/);
  });

  it('serves Prometheus metrics with the agreed names, labels and buckets on the admin port', async () => {
    const text = await (await admin()).metrics();
    const samples = parseExposition(text);
    expect(text).toContain(`# TYPE ${ROUTER_METRICS.requests} counter`);
    expect(text).toContain(`# TYPE ${ROUTER_METRICS.duration} histogram`);

    const counters = samples.filter((s) => s.name === ROUTER_METRICS.requests);
    expect(counters.length).toBeGreaterThan(0);
    for (const s of counters) {
      expect(Object.keys(s.labels).sort()).toEqual(['code_class', 'environment', 'service', 'version']);
      expect(['2xx', '3xx', '4xx', '5xx', 'error']).toContain(s.labels.code_class);
    }
    const stableCount = counters.find((s) => s.labels.version === '1.0.0' && s.labels.code_class === '2xx');
    expect(stableCount?.labels).toMatchObject({ service: SERVICE, environment: ENV });
    expect(stableCount?.value).toBeGreaterThan(100);

    const buckets = samples.filter((s) => s.name === `${ROUTER_METRICS.duration}_bucket` && s.labels.version === '1.0.0');
    expect(buckets.map((s) => s.labels.le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf']);
    const count = samples.find((s) => s.name === `${ROUTER_METRICS.duration}_count` && s.labels.version === '1.0.0');
    expect(count?.value).toBe(buckets[buckets.length - 1]?.value);
    expect(samples.some((s) => s.name === `${ROUTER_METRICS.duration}_sum`)).toBe(true);
  });

  it('refuses an invalid table with 400 and its problems, leaving the routes in force unchanged', async () => {
    await setSplit(80, 20);
    const before = await provider.getRoutes(SERVICE, ENV);
    const bad = [route(stable, 'stable', 80), route(canary, 'canary', 30)];
    await expect(provider.setRoutes(SERVICE, ENV, bad)).rejects.toThrow(InvalidRoutesError);

    // Straight to the admin API, past the provider's own check.
    const record = await readRouterRecord(root, SERVICE, ENV);
    const token = await readAdminToken(record?.adminTokenFile as string);
    const answer = await put(`${record?.adminUrl}/routes`, token, JSON.stringify([...bad, { ...route(canary, 'canary', 0), url: 'not a url' }]));
    expect(answer.status).toBe(400);
    const problem = JSON.parse(answer.body) as { error: string; problems: string[] };
    expect(problem.error).toContain('unchanged');
    expect(problem.problems).toEqual(expect.arrayContaining([expect.stringContaining('routes[2].url'), expect.stringContaining('weights add up to 110'), 'more than one canary route']));
    expect((await put(`${record?.adminUrl}/routes`, token, '{ not json')).status).toBe(400);

    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(before);
  });

  it('comes back with its routes and allow-list after a restart', async () => {
    await setSplit(70, 30);
    const before = await readRouterRecord(root, SERVICE, ENV);
    await provider.stopRouter(SERVICE, ENV);
    expect(isProcessAlive(before?.pid as number)).toBe(false);
    expect((await send(routerUrl)).status).toBe(0);

    // getRoutes finds the router gone and starts it again on its saved state.
    await expect(provider.getRoutes(SERVICE, ENV)).resolves.toEqual(split(70, 30));
    const after = await readRouterRecord(root, SERVICE, ENV);
    expect(after?.pid).not.toBe(before?.pid);
    pids.add(after?.pid as number);
    await expect((await routerAdminClient(after as RouterRecord)).getOptions()).resolves.toEqual({ canaryUsers: ['alice'] });

    routerUrl = (await provider.ensureRouter(SERVICE, ENV)).url;
    expect(routerUrl).toBe(after?.publicUrl);
    expect((await send(routerUrl, { [USER_HEADER]: 'alice' })).body).toBe('1.1.0');
    const answers = await sendMany(routerUrl, 200);
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });
});

describe('the embedded router started again after a crash', () => {
  /** The record of an environment's router; its pid joins those afterAll checks are gone. */
  async function recordOf(environment: string): Promise<RouterRecord> {
    const record = await readRouterRecord(root, SERVICE, environment);
    if (!record) throw new Error(`no router record for ${environment}`);
    pids.add(record.pid);
    return record;
  }

  /** Which version each of 100 users is sent to: the same table gives the same answer. */
  async function versionsByUser(url: string): Promise<Record<string, string>> {
    const users = Array.from({ length: 100 }, (_, i) => `crash-user-${i}`);
    const answers = await Promise.all(users.map((user) => send(url, { [USER_HEADER]: user })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    return Object.fromEntries(users.map((user, i) => [user, answers[i]?.body as string]));
  }

  function portOf(url: string): number {
    return Number(new URL(url).port);
  }

  /** Another program on a port: it accepts connections and answers none. */
  async function occupy(port: number): Promise<net.Server> {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return server;
  }

  const release = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

  it('comes back on the same address with the same routes after its primary, then its whole group, is SIGKILLed', async () => {
    const env = 'crash';
    const routes = [route(stable, 'stable', 60), route(canary, 'canary', 40)];
    const first = await provider.ensureRouter(SERVICE, env);
    await provider.setRoutes(SERVICE, env, routes);
    const users = await versionsByUser(first.url);
    expect(new Set(Object.values(users))).toEqual(new Set(['1.0.0', '1.1.0']));

    // The primary alone (its workers lose it and exit), then the whole group: what a crash or a reboot leaves.
    for (const target of ['primary', 'group'] as const) {
      const before = await recordOf(env);
      process.kill(target === 'primary' ? before.pid : -before.pid, 'SIGKILL');
      // No waiting for it to be gone: ensureRouter meets a router that is still dying.
      const again = await provider.ensureRouter(SERVICE, env);
      const after = await recordOf(env);
      expect(isProcessAlive(before.pid)).toBe(false);
      expect(after.pid).not.toBe(before.pid);

      expect(again.url).toBe(first.url);
      expect(after.publicUrl).toBe(first.url);
      expect(after.adminUrl).toBe(before.adminUrl);
      expect(again.addressChanged).toBeUndefined();
      expect(after.addressChanged).toBeUndefined();

      await expect(provider.getRoutes(SERVICE, env)).resolves.toEqual(routes);
      await expect(versionsByUser(first.url)).resolves.toEqual(users);
      const previews = await sendMany(first.url, 20, () => ({ [PREVIEW_HEADER]: 'always' }));
      expect(previews.every((a) => a.status === 200 && a.versionHeader === '1.1.0')).toBe(true);
    }
  });

  it('waits for a recorded port that another program releases shortly, and takes it back', async () => {
    const env = 'slow-release';
    const first = await provider.ensureRouter(SERVICE, env);
    await provider.setRoutes(SERVICE, env, [route(stable, 'stable', 100)]);
    const before = await recordOf(env);
    await provider.stopRouter(SERVICE, env);

    // Released well within the provider's wait (3 s by default).
    const holder = await occupy(portOf(first.url));
    const released = sleep(500).then(() => release(holder));
    const again = await provider.ensureRouter(SERVICE, env);
    await released;
    expect(again.url).toBe(first.url);
    expect(again.addressChanged).toBeUndefined();
    expect((await recordOf(env)).pid).not.toBe(before.pid);
    expect(tally(await sendMany(first.url, 20))).toEqual({ '1.0.0': 20 });
  });

  it('starts on a new port when another program keeps the recorded one, and says so in the endpoint, the record and router.log', async () => {
    const env = 'moved';
    const waitMs = 1_000;
    // Same root, so it finds the same records; a shorter wait keeps the test quick.
    const impatient = new EmbeddedRouterProvider({ root, startTimeoutMs: 15_000, portWaitMs: waitMs });
    const first = await impatient.ensureRouter(SERVICE, env);
    const routes = [route(stable, 'stable', 100)];
    await impatient.setRoutes(SERVICE, env, routes);
    await recordOf(env);
    await impatient.stopRouter(SERVICE, env);

    const squatter = await occupy(portOf(first.url));
    let moved: string;
    try {
      const started = Date.now();
      const again = await impatient.ensureRouter(SERVICE, env);
      expect(Date.now() - started).toBeGreaterThanOrEqual(waitMs);
      moved = again.url;
      expect(moved).not.toBe(first.url);
      expect(moved).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(again.addressChanged).toEqual({ previousUrl: first.url, reason: expect.stringContaining(`port ${portOf(first.url)} is held by another program`), at: expect.any(String) });

      const record = await recordOf(env);
      expect(record.publicUrl).toBe(moved);
      expect(record.addressChanged).toEqual(again.addressChanged);
      const log = await readFile(record.logFile, 'utf8');
      expect(log).toContain(`moves from ${first.url} to ${moved}`);

      // Routes survive the move; the squatter keeps its port.
      await expect(impatient.getRoutes(SERVICE, env)).resolves.toEqual(routes);
      expect(tally(await sendMany(moved, 20))).toEqual({ '1.0.0': 20 });
      expect((await send(first.url)).status).toBe(0);
    } finally {
      await release(squatter);
    }

    // The new address is now the environment's: the next crash comes back on it, and the warning is gone.
    const before = await recordOf(env);
    process.kill(-before.pid, 'SIGKILL');
    const third = await impatient.ensureRouter(SERVICE, env);
    expect(third.url).toBe(moved);
    expect(third.addressChanged).toBeUndefined();
    expect((await recordOf(env)).addressChanged).toBeUndefined();
    expect(tally(await sendMany(moved, 20))).toEqual({ '1.0.0': 20 });
  });

  it('uses the router another worker started on the recorded port meanwhile rather than moving the address', async () => {
    const env = 'other-worker';
    const impatient = new EmbeddedRouterProvider({ root, startTimeoutMs: 15_000, portWaitMs: 1_500 });
    const first = await impatient.ensureRouter(SERVICE, env);
    await impatient.setRoutes(SERVICE, env, [route(canary, 'stable', 100)]);
    const dead = await recordOf(env);
    await impatient.stopRouter(SERVICE, env);

    // What another worker does: start the router on the recorded port, record it once it runs.
    const adminPort = await findFreePort();
    const adminTokenFile = adminTokenFileIn(path.dirname(dead.stateFile));
    await writeNewAdminToken(adminTokenFile);
    const settings = { service: SERVICE, environment: env, host: '127.0.0.1', publicPort: portOf(first.url), adminPort, stateFile: dead.stateFile, adminTokenFile, workers: 1 };
    const other = spawn(process.execPath, [defaultRouterEntry(), ...routerArguments(settings)], { detached: true, stdio: 'ignore' });
    other.unref();
    const otherRecord: RouterRecord = { ...dead, pid: other.pid as number, adminUrl: `http://127.0.0.1:${adminPort}`, startedAt: new Date().toISOString() };
    pids.add(otherRecord.pid);
    try {
      const otherAdmin = await routerAdminClient(otherRecord, 1_000);
      for (let tries = 0; !(await otherAdmin.health().then(() => true, () => false)); tries++) {
        if (tries > 200) throw new Error('the other router did not start');
        await sleep(50);
      }

      // This provider still reads the dead router's record and finds the port taken; the record appears while it waits.
      const ensured = impatient.ensureRouter(SERVICE, env);
      await sleep(300);
      await writeFile(path.join(path.dirname(dead.stateFile), 'router.json'), JSON.stringify(otherRecord));
      const endpoint = await ensured;
      expect(endpoint.url).toBe(first.url);
      expect(endpoint.addressChanged).toBeUndefined();
      expect((await recordOf(env)).pid).toBe(otherRecord.pid);
      expect(tally(await sendMany(first.url, 20))).toEqual({ '1.1.0': 20 });
    } finally {
      // If the record was overwritten after all, stopAllRouters would not find this one.
      await killProcessGroup(otherRecord.pid, 1_000);
    }
  });
});

function put(url: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', agent: false, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Samples of a Prometheus text exposition: name, labels, value. Comments are skipped. */
function parseExposition(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}
