import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { stopAllInstances } from '../../src/providers/runtime/local-process-runtime';
import { runtimeDir } from '../../src/providers/state-dir';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseResult, ReleaseStatus } from '../../src/shared/release';
import { pollUntil } from '../support/crash-stack';
import { commandLines, type CommandLines } from '../support/command-lines';
import { sharedServerAddress } from '../support/e2e-stack';
import { createE2EWorkspace, type E2EWorkspace } from '../support/e2e-workspace';
import { startLoad, type Load } from '../support/load';
import { startProber, type Prober } from '../support/prober';
import { versionsServing } from '../support/traffic';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * Two real `gantry worker` processes on one task queue, each with a state folder of its
 * own as on two machines (hosts `alpha` and `beta`), sharing only the Temporal server and
 * an artifact store folder (GANTRY_ARTIFACT_STORE). Which worker takes a task on the
 * shared queue is the server's choice, so the tests decide who can take the shared work
 * by which workers run: the machine-local work must then follow its host, whoever runs.
 */
const SERVICE = 'fleet';
const HOSTS = ['alpha', 'beta'] as const;
type Host = (typeof HOSTS)[number];

/** The example service with production only (so its approval gate is there) as a canary. */
function catalogue(text: string): string {
  const doc = YAML.parse(text);
  const service = doc.services.web;
  delete doc.services.web;
  delete service.test.integration; // spawns servers of its own: slow, and not what is tested here
  service.approval = { approvers: ['bob'], minApprovals: 1, timeout: '1h' };
  service.environments = {
    production: {
      strategy: 'canary',
      router: { kind: 'embedded' },
      canary: {
        steps: [{ weight: 20, soak: '8s' }, { weight: 100 }],
        interval: '2s',
        // Noisy 2 s windows on a loaded 2-core machine: only a real regression should fail a check.
        analysis: { minRequests: 3, maxErrorRate: 0.05, latencyToleranceMs: 200, failureLimit: 2, inconclusiveLimit: 8 },
      },
    },
  };
  doc.services[SERVICE] = service;
  return YAML.stringify(doc);
}

let workspace: E2EWorkspace;
let cli: CommandLines;
let connection: Connection;
let client: Client;
let share: string;
const homes = {} as Record<Host, string>;
const running: Partial<Record<Host, WorkerProcess>> = {};
let load: Load | undefined;
let prober: Prober | undefined;

beforeAll(async () => {
  const address = sharedServerAddress();
  workspace = createE2EWorkspace('multi-worker', address, { editConfig: catalogue });
  share = path.join(workspace.dir, 'artifact-share');
  mkdirSync(share);
  for (const host of HOSTS) homes[host] = path.join(workspace.dir, `home-${host}`);
  cli = commandLines(workspace.dir, workspace.env, address);
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});

afterAll(async () => {
  await prober?.stop();
  await load?.stop();
  for (const host of HOSTS) await running[host]?.stop();
  for (const host of HOSTS) {
    await stopAllInstances(runtimeDir(homes[host]));
    await stopAllRouters(path.join(homes[host], 'routers'));
  }
  await connection?.close();
});

afterEach(() => {
  expect(prober?.dark ?? []).toEqual([]);
});

/** Starts `gantry worker` as host `host` (its own GANTRY_HOME) and waits until it polls. */
async function startWorker(host: Host): Promise<WorkerProcess> {
  const worker = startWorkerProcess({
    env: { ...workspace.env, GANTRY_HOME: homes[host], GANTRY_WORKER_HOST: host, GANTRY_ARTIFACT_STORE: share, LOG_LEVEL: 'info' },
    client,
    cwd: workspace.dir,
    logFile: path.join(workspace.dir, `worker-${host}.log`),
  });
  running[host] = worker;
  await worker.polling();
  return worker;
}

async function stopWorker(host: Host): Promise<void> {
  await running[host]?.stop();
  running[host] = undefined;
}

const handle = (version: string) => client.workflow.getHandle(releaseWorkflowId(SERVICE, version));
const status = (version: string): Promise<ReleaseStatus> => handle(version).query(statusQuery);

/** The release's result once it has ended (a release that did not succeed fails its workflow, with the result as details). */
async function finished(version: string): Promise<ReleaseResult & { status: ReleaseStatus }> {
  const result = (await handle(version).result()) as ReleaseResult;
  return { ...result, status: result.status ?? (await status(version)) };
}

/** Starts a release through the real CLI and waits until it asks for its approval. */
async function startUntilApproval(version: string): Promise<void> {
  const started = await cli.gantry(['release', 'start', '--service', SERVICE, '--version', version, '--commit', workspace.commit, '--author', 'alice', '--json']);
  expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
  await pollUntil(`${version} to wait for its approval`, async () => ((await status(version)).stage === 'approval' ? true : undefined), { timeoutMs: 180_000, everyMs: 250 });
}

async function approve(version: string): Promise<void> {
  const approved = await cli.gantry(['release', 'approve', SERVICE, version, '--as', 'bob']);
  expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: '' });
}

/** The instance folders the local runtime has for production on a host's machine. */
function productionInstances(host: Host): string[] {
  const dir = path.join(runtimeDir(homes[host]), SERVICE, 'production');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name !== 'active.json').sort() : [];
}

function cachedBlobs(host: Host): string[] {
  const dir = path.join(homes[host], 'artifacts', 'blobs', 'sha256');
  return existsSync(dir) ? readdirSync(dir) : [];
}

const blobName = (digest: string) => `${digest.replace(/^sha256:/, '')}.tar.gz`;

test('a canary across two workers: production runs on the host it was placed on, which fetches an artifact built on the other by its digest', async () => {
  // 1.0.0 with beta alone: its checkout and production are placed on beta.
  await startWorker('beta');
  await startUntilApproval('1.0.0');
  await approve('1.0.0');
  const first = await finished('1.0.0');
  expect({ outcome: first.outcome, reason: first.reason }).toEqual({ outcome: 'succeeded', reason: undefined });
  expect(first.status.hosts).toEqual({ workspace: 'beta', environments: { production: 'beta' } });
  const routerUrl = first.status.rollout!.routerUrl!;

  // 1.1.0 is checked out, built and packed by alpha, the only worker while it builds…
  await stopWorker('beta');
  await startWorker('alpha');
  await startUntilApproval('1.1.0');
  const built = (await status('1.1.0')).artifact!;
  expect(cachedBlobs('alpha')).toEqual([]); // published to the shared store, not deployed here
  expect(readdirSync(path.join(share, 'blobs', 'sha256'))).toContain(blobName(built.digest));

  // …and production, placed on beta, gets it there: both workers now serve the queue.
  await startWorker('beta');
  load = startLoad(routerUrl, { concurrency: 4, pauseMs: 20, userKeys: true });
  prober = startProber(routerUrl);
  await approve('1.1.0');
  const second = await finished('1.1.0');
  expect({ outcome: second.outcome, reason: second.reason }).toEqual({ outcome: 'succeeded', reason: undefined });
  expect(second.status.hosts).toEqual({ workspace: 'alpha', environments: { production: 'beta' } });
  expect(second.status.rollout?.phase).toBe('promoted');
  expect(second.status.rollout?.analyses.length).toBeGreaterThanOrEqual(4);
  expect(load.counts.get('1.1.0')?.ok).toBeGreaterThan(0);
  expect(await versionsServing(routerUrl)).toEqual({ '1.1.0': 60 });

  // Every instance and the router of production are on beta's machine, none on alpha's.
  expect(productionInstances('beta')).toEqual([expect.stringMatching(/^1\.0\.0-[0-9a-f]{12}$/), expect.stringMatching(/^1\.1\.0-[0-9a-f]{12}$/)]);
  expect(productionInstances('alpha')).toEqual([]);
  expect(existsSync(path.join(homes.beta, 'routers', SERVICE))).toBe(true);
  expect(existsSync(path.join(homes.alpha, 'routers'))).toBe(false);
  // Beta fetched 1.1.0 by its digest into its own cache; alpha, which deploys nothing, holds none.
  expect(cachedBlobs('beta')).toContain(blobName(built.digest));
  expect(cachedBlobs('alpha')).toEqual([]);

  // The environment's entity records its host.
  const env = await cli.gantry(['env', 'status', SERVICE, 'production', '--json']);
  expect(env.code).toBe(0);
  expect(JSON.parse(env.stdout)).toMatchObject({ host: 'beta', current: { version: '1.1.0', digest: built.digest } });
}, 600_000);

test('the host running production is lost mid-canary: the status names it as not answering until its worker is back, then the release completes', async () => {
  const routerUrl = (await status('1.1.0')).rollout!.routerUrl!;
  load ??= startLoad(routerUrl, { concurrency: 4, pauseMs: 20, userKeys: true });
  prober ??= startProber(routerUrl);
  if (!running.alpha) await startWorker('alpha');
  if (!running.beta) await startWorker('beta');

  await startUntilApproval('1.2.0');
  await approve('1.2.0');
  await pollUntil(
    'the canary of 1.2.0 to soak at 20 %',
    async () => {
      const rollout = (await status('1.2.0')).rollout;
      return rollout?.phase === 'progressing' && rollout.weights.canary === 20 ? true : undefined;
    },
    { timeoutMs: 180_000, everyMs: 100 },
  );

  const lostAt = new Date().toISOString();
  await running.beta!.kill();
  running.beta = undefined;
  // Alpha runs the workflows meanwhile and says which host does not answer, and what to do.
  const reported = await pollUntil(
    'the rollout to report beta as not answering',
    async () => {
      const rollout = (await status('1.2.0')).rollout;
      return rollout?.hostUnavailable ? rollout : undefined;
    },
    { timeoutMs: 120_000, everyMs: 500 },
  );
  expect(reported.hostUnavailable).toMatch(/^host beta is not answering since \S+ \(nobody polls \S+\/host\/beta\) while \w+ waits for it: start its worker again \(gantry worker with GANTRY_WORKER_HOST=beta/);
  const since = /since (\S+) /.exec(reported.hostUnavailable!)![1];
  expect(since >= lostAt.slice(0, 19)).toBe(true);
  const shown = await cli.gantry(['release', 'status', SERVICE, '1.2.0']);
  expect(shown.stdout).toContain('host not answering: host beta is not answering since');
  // Production kept serving stable and canary through the router all along (the prober checks every request).
  expect(reported.weights).toEqual({ stable: 80, canary: 20 });

  await startWorker('beta');
  const result = await finished('1.2.0');
  expect({ outcome: result.outcome, reason: result.reason }).toEqual({ outcome: 'succeeded', reason: undefined });
  expect(result.status.rollout?.hostUnavailable).toBeUndefined();
  expect(result.status.rollout?.phase).toBe('promoted');
  expect(result.status.hosts?.environments).toEqual({ production: 'beta' });
  expect(productionInstances('alpha')).toEqual([]);
  expect(await versionsServing(routerUrl)).toEqual({ '1.2.0': 60 });
}, 600_000);

/** Runs `gantry worker` until it exits by itself (killed after 20 s if it does not), for settings that must stop it. */
function workerThatShouldExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [path.resolve(__dirname, '..', '..', 'bin', 'gantry.js'), 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

test.each([
  [{ GANTRY_WORKER_HOST: 'web 2' }, 'gantry: GANTRY_WORKER_HOST "web 2" cannot name a worker host'],
  [{ GANTRY_ARTIFACT_STORE: 'shared/artifacts' }, 'gantry: GANTRY_ARTIFACT_STORE "shared/artifacts" is relative'],
  [{ GANTRY_ARTIFACT_STORE: 's3://bucket/gantry' }, 'gantry: GANTRY_ARTIFACT_STORE "s3://bucket/gantry": only a shared folder is supported'],
])('`gantry worker` with %p stops at once with exit code 2, naming the variable and the fix', async (setting, message) => {
  const queue = `${workspace.taskQueue}-bad-setting`;
  const result = await workerThatShouldExit({ ...workspace.env, GANTRY_HOME: path.join(workspace.dir, 'home-bad'), GANTRY_TASK_QUEUE: queue, ...setting });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
});

test('`gantry doctor` says which host a worker started here would be, its queue and its artifact store; an unusable setting is exit 2', async () => {
  const ok = await cli.gantry(['doctor', '--json'], { GANTRY_WORKER_HOST: 'alpha', GANTRY_ARTIFACT_STORE: share, GANTRY_HOME: homes.alpha });
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout).worker).toEqual({
    ok: true,
    host: 'alpha',
    hostTaskQueue: `${workspace.taskQueue}/host/alpha`,
    artifactStore: `${share} (shared, cached in ${path.join(homes.alpha, 'artifacts')})`,
  });
  const bad = await cli.gantry(['doctor'], { GANTRY_WORKER_HOST: 'alpha/1' });
  expect(bad.code).toBe(2);
  expect(bad.stdout).toMatch(/^Worker host +invalid setting: GANTRY_WORKER_HOST "alpha\/1" cannot name a worker host/m);
});
