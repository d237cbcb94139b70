import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMetricsProvider } from '../../src/providers/metrics/embedded-metrics-provider';
import type { MetricsQuery } from '../../src/providers/metrics/metrics';
import { findFreePort } from '../../src/providers/process/free-port';
import { EmbeddedRouterProvider, readRouterRecord, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { adminTokenFileIn, writeNewAdminToken } from '../../src/providers/router/router-admin-token';
import { writeJsonAtomic } from '../../src/providers/state-dir';
import { FakeRouterAdmin } from '../support/fake-router-admin';

/** Against a real HTTP server serving the router's /stats, found through a router.json record. */

let root: string;
let router: FakeRouterAdmin;
let provider: EmbeddedMetricsProvider;

const query = (version: string, windowMs = 60_000): MetricsQuery => ({ service: 'web', environment: 'production', version, windowMs });

async function recordRouter(service: string, environment: string, adminUrl: string): Promise<void> {
  const adminTokenFile = adminTokenFileIn(path.join(root, service, environment));
  await writeNewAdminToken(adminTokenFile);
  await writeJsonAtomic(path.join(root, service, environment, 'router.json'), { pid: process.pid, publicUrl: 'http://127.0.0.1:1', adminUrl, adminTokenFile });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gantry-routers-'));
  router = await FakeRouterAdmin.start('web', 'production');
  await recordRouter('web', 'production', router.url);
  provider = new EmbeddedMetricsProvider({ routersRoot: root });
  for (let i = 0; i < 90; i += 1) router.record('2.0.0', '2xx', 0.3);
  for (let i = 0; i < 6; i += 1) router.record('2.0.0', '5xx', 0.3);
  for (let i = 0; i < 4; i += 1) router.record('2.0.0', 'error', 0.3);
  for (let i = 0; i < 10; i += 1) router.record('1.0.0', '4xx', 0.02);
});

afterEach(() => {
  router.statsOverride = undefined;
  router.hangStats = false;
});

afterAll(async () => {
  await router?.close();
  await rm(root, { recursive: true, force: true });
});

test('measures a version from the router stats of its window', async () => {
  const m = await provider.measure(query('2.0.0', 30_000));
  expect(m).toEqual({ kind: 'value', requests: 100, errors: 10, errorRate: 0.1, latencyMs: { p50: 300, p99: 300 } });
  expect(router.lastWindowMs).toBe(30_000);
});

test('4xx answers are requests, not errors', async () => {
  expect(await provider.measure(query('1.0.0'))).toMatchObject({ kind: 'value', requests: 10, errors: 0, errorRate: 0 });
});

test('a version the router has not seen is noData', async () => {
  const m = await provider.measure(query('9.9.9'));
  expect(m).toEqual({ kind: 'noData', reason: 'the router of web/production forwarded no request to version 9.9.9 in the last 60 s' });
});

test('a version with no request in the window is noData, and missing percentiles stay absent', async () => {
  router.statsOverride = { status: 200, body: JSON.stringify({ windowMs: 1000, versions: { '2.0.0': { requests: 0, errors: 0, latencyMs: {} } } }) };
  expect(await provider.measure(query('2.0.0', 1000))).toMatchObject({ kind: 'noData', reason: expect.stringContaining('no request to version 2.0.0 in the last 1 s') });

  router.statsOverride = { status: 200, body: JSON.stringify({ windowMs: 1000, versions: { '2.0.0': { requests: 3, errors: 3, latencyMs: {} } } }) };
  expect(await provider.measure(query('2.0.0', 1000))).toEqual({ kind: 'value', requests: 3, errors: 3, errorRate: 1, latencyMs: {} });
});

test('no recorded router is unreachable, and says where it looked', async () => {
  const m = await provider.measure({ ...query('2.0.0'), environment: 'staging' });
  expect(m.kind).toBe('unreachable');
  expect(m.kind === 'unreachable' && m.reason).toContain(`no embedded router is recorded for web/staging under ${root}`);
});

test('a recorded router that is not running is unreachable, naming its URL', async () => {
  const adminUrl = `http://127.0.0.1:${await findFreePort()}`;
  await recordRouter('web', 'gone', adminUrl);
  const m = await provider.measure({ ...query('2.0.0'), environment: 'gone' });
  expect(m.kind).toBe('unreachable');
  expect(m.kind === 'unreachable' && m.reason).toMatch(new RegExp(`^the router of web/gone: .*${adminUrl}.*/stats\\?windowMs=60000: connection refused$`));
});

test('a router answering non-2xx is unreachable with the status', async () => {
  router.statsOverride = { status: 503, body: 'shutting down' };
  const m = await provider.measure(query('2.0.0'));
  expect(m.kind).toBe('unreachable');
  expect(m.kind === 'unreachable' && m.reason).toContain(router.url);
  expect(m.kind === 'unreachable' && m.reason).toContain('HTTP 503: shutting down');
});

test('a router answering something that is not its stats is unreachable', async () => {
  router.statsOverride = { status: 200, body: '{"versions": {"2.0.0": {"requests": "many"}}}' };
  const m = await provider.measure(query('2.0.0'));
  expect(m).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('answered something that is not its stats') });
});

test('a router that does not answer in time is unreachable', async () => {
  router.hangStats = true;
  const impatient = new EmbeddedMetricsProvider({ routersRoot: root, timeoutMs: 200 });
  const started = Date.now();
  const m = await impatient.measure(query('2.0.0'));
  expect(Date.now() - started).toBeLessThan(2_000);
  expect(m).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('no answer within 200 ms') });
});

test('an unreadable router record is unreachable, not an exception', async () => {
  await mkdir(path.join(root, 'web', 'corrupt'), { recursive: true });
  await writeFile(path.join(root, 'web', 'corrupt', 'router.json'), '{"adminUrl": ');
  const m = await provider.measure({ ...query('2.0.0'), environment: 'corrupt' });
  expect(m).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('router record of web/corrupt') });
});

test('a router recorded without an admin token (started before tokens) is unreachable until a rollout starts it again', async () => {
  await writeJsonAtomic(path.join(root, 'web', 'untokened', 'router.json'), { service: 'web', environment: 'untokened', pid: process.pid, publicUrl: 'http://127.0.0.1:1', adminUrl: router.url });
  const m = await provider.measure({ ...query('2.0.0'), environment: 'untokened' });
  expect(m).toMatchObject({ kind: 'unreachable', reason: expect.stringContaining('started before its admin API took a token') });
});

describe('probe', () => {
  // A real embedded router process, under a root of its own: the records beside the fake
  // router carry this test's pid, which no cleanup that kills recorded routers may see.
  let realRoot: string;
  let routers: EmbeddedRouterProvider;

  beforeAll(async () => {
    realRoot = await mkdtemp(path.join(os.tmpdir(), 'gantry-real-routers-'));
    routers = new EmbeddedRouterProvider({ root: realRoot, startTimeoutMs: 15_000 });
  });

  afterAll(async () => {
    await stopAllRouters(realRoot);
    await rm(realRoot, { recursive: true, force: true });
  });

  test('a running router is online; once stopped it is offline, naming its admin address', async () => {
    const probing = new EmbeddedMetricsProvider({ routersRoot: realRoot });
    await routers.ensureRouter('web', 'production');
    const record = await readRouterRecord(realRoot, 'web', 'production');
    if (!record) throw new Error('the router did not record itself');
    expect(await probing.probe({ service: 'web', environment: 'production' })).toEqual({ online: true });

    await routers.stopRouter('web', 'production');
    const answer = await probing.probe({ service: 'web', environment: 'production' });
    expect(answer).toEqual({ online: false, reason: expect.stringContaining(record.adminUrl) });
    expect(answer.online === false && answer.reason).toMatch(/^the router of web\/production: .*\/stats\?windowMs=\d+: connection refused$/);
  });

  test('an environment with no recorded router is offline, saying where it looked', async () => {
    expect(await provider.probe({ service: 'web', environment: 'never-rolled-out' })).toEqual({
      online: false,
      reason: `no embedded router is recorded for web/never-rolled-out under ${root}; it starts with the first rollout to that environment`,
    });
  });

  test('a router whose /stats are not stats is offline', async () => {
    router.statsOverride = { status: 200, body: '{"versions": []}' };
    expect(await provider.probe({ service: 'web', environment: 'production' })).toEqual({
      online: false,
      reason: expect.stringContaining(`the router of web/production at ${router.url} answered something that is not its stats`),
    });
  });

  test('a router that answers in time with its stats is online, one that hangs is not', async () => {
    expect(await provider.probe({ service: 'web', environment: 'production' })).toEqual({ online: true });
    router.hangStats = true;
    const impatient = new EmbeddedMetricsProvider({ routersRoot: root, timeoutMs: 200 });
    expect(await impatient.probe({ service: 'web', environment: 'production' })).toEqual({
      online: false,
      reason: expect.stringContaining('no answer within 200 ms'),
    });
  });
});
