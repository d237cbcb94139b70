import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTER_METRICS } from '../../src/contracts/router-protocol';
import type { Route } from '../../src/contracts/routes';
import { isProcessAlive } from '../../src/providers/process/process-group';
import { EmbeddedRouterProvider, readRouterRecord, routerAdminClient, stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import type { RouterRecord } from '../../src/providers/router/embedded-router-provider';
import type { RouterAdminClient } from '../../src/router/router-admin-client';
import { routerSettings } from '../../src/router/router-settings';
import { VersionBackend } from './version-backend';
import { closeTraffic, tally } from './traffic';
import type { Answer } from './traffic';


/**
 * The embedded router as several processes: a primary with the admin API and the
 * table, and workers sharing the public port. What a provider sees must not change:
 * one table in force everywhere, one set of stats and metrics.
 */

const SERVICE = 'shop';
const ENV = 'production';
const WORKERS = 3;

let root: string;
let provider: EmbeddedRouterProvider;
let stable: VersionBackend;
let canary: VersionBackend;
let routerUrl: string;
let admin: RouterAdminClient;
let primaryPid: number;

const route = (backend: VersionBackend, role: Route['role'], weight: number): Route => ({ instanceId: `${backend.version}-0123456789ab`, version: backend.version, url: backend.url, weight, role });
const split = (s: number, c: number): Route[] => [route(stable, 'stable', s), route(canary, 'canary', c)];

/** The router's worker processes: the primary's children. */
function workerPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primaryPid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Requests each on a connection of its own, so that the cluster hands them to its
 * workers in turn rather than all to whichever got the first keep-alive connection.
 */
async function sendFresh(count: number): Promise<Answer[]> {
  const one = () =>
    new Promise<Answer>((resolve) => {
      http
        .get(routerUrl, { agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', (err) => resolve({ status: 0, body: err.message }));
    });
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += 10) answers.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, one))));
  return answers;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gantry-router-workers-'));
  provider = new EmbeddedRouterProvider({ root, startTimeoutMs: 15_000, workers: WORKERS });
  stable = await VersionBackend.start('3.0.0');
  canary = await VersionBackend.start('3.1.0');
  routerUrl = (await provider.ensureRouter(SERVICE, ENV)).url;
  const record = await readRouterRecord(root, SERVICE, ENV);
  admin = await routerAdminClient(record as RouterRecord);
  primaryPid = record?.pid as number;
});

afterAll(async () => {
  const workers = workerPids();
  await stopAllRouters(root);
  closeTraffic();
  await Promise.all([stable.close(), canary.close()]);
  // The primary and every worker are gone: no orphan keeps the public port.
  for (const pid of [primaryPid, ...workers]) expect(isProcessAlive(pid)).toBe(false);
  await rm(root, { recursive: true, force: true });
});

describe('the embedded router with several worker processes', () => {
  it('runs the workers it was asked for and says so in /healthz', async () => {
    await expect(admin.health()).resolves.toMatchObject({ ok: true, pid: primaryPid, workers: WORKERS });
    expect(workerPids()).toHaveLength(WORKERS);
  });

  it('puts a new table in force in every worker', async () => {
    for (const [s, c, expected] of [
      [100, 0, '3.0.0'],
      [0, 100, '3.1.0'],
      [100, 0, '3.0.0'],
    ] as const) {
      await provider.setRoutes(SERVICE, ENV, split(s, c));
      // No wait: the call returns once every worker has acknowledged the table.
      expect(tally(await sendFresh(60))).toEqual({ [expected]: 60 });
    }
  });

  it('counts every request once in /stats and /metrics, whichever worker served it', async () => {
    await provider.setRoutes(SERVICE, ENV, split(50, 50));
    const before = await admin.stats(60_000);
    const answers = await sendFresh(300);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const counted = tally(answers);

    const after = await admin.stats(60_000);
    for (const version of ['3.0.0', '3.1.0']) {
      expect((after.versions[version]?.requests ?? 0) - (before.versions[version]?.requests ?? 0)).toBe(counted[version]);
    }
    const metrics = await admin.metrics();
    const total = (version: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(`${ROUTER_METRICS.requests}{`) && line.includes(`version="${version}"`))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    // Every request of this file so far, summed over the workers.
    expect(total('3.0.0') + total('3.1.0')).toBe(60 * 3 + 300);
  });

  it('replaces a worker that dies and gives it the table in force', async () => {
    await provider.setRoutes(SERVICE, ENV, split(0, 100));
    const [victim] = workerPids();
    process.kill(victim as number, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (!(workerPids().length === WORKERS && !workerPids().includes(victim as number))) {
      if (Date.now() > deadline) throw new Error(`no replacement worker: ${workerPids().join(', ')}`);
      await sleep(50);
    }
    await expect(admin.health()).resolves.toMatchObject({ workers: WORKERS });
    // The replacement routes by the table set before it started.
    expect(tally(await sendFresh(60))).toEqual({ '3.1.0': 60 });
  });
});

describe('the --workers setting', () => {
  const base = ['--service', 'web', '--environment', 'production', '--public-port', '0', '--admin-port', '0', '--state-file', 'routes.json', '--admin-token-file', 'admin-token'];

  it('defaults to one worker per core, at most four', () => {
    expect(routerSettings(base, {}).workers).toBe(Math.min(4, os.availableParallelism()));
    expect(routerSettings([...base, '--workers', '6'], {}).workers).toBe(6);
    expect(routerSettings(base, { GANTRY_ROUTER_WORKERS: '1' }).workers).toBe(1);
  });

  it.each(['0', '-1', '1.5', 'two', '65'])('refuses --workers %s, naming the flag and the range', (value) => {
    expect(() => routerSettings([...base, `--workers=${value}`], {})).toThrow(`--workers must be a whole number from 1 to 64, got "${value}"`);
  });
});
