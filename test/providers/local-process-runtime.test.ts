import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRuntimeActivities } from '../../src/activities/runtime';
import { LocalArtifactStore } from '../../src/providers/artifacts/local-artifact-store';
import { runProcess } from '../../src/providers/process/run-process';
import { LocalProcessRuntime, instanceId, stopAllInstances } from '../../src/providers/runtime/local-process-runtime';
import type { StartRequest } from '../../src/providers/runtime/runtime';
import type { ArtifactRef, Instance } from '../../src/shared/release';
import { RecordingLogger, buildExampleCopy, groupMembers, isRunning, waitFor } from './support';

let tmp: string;
let webDir: string;
let store: LocalArtifactStore;
let runtimeRoot: string;
let runtime: LocalProcessRuntime;
let artifact: ArtifactRef;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-runtime-'));
  webDir = await buildExampleCopy('1.2.3');
  store = new LocalArtifactStore(path.join(tmp, 'artifacts'));
  runtimeRoot = path.join(tmp, 'runtime');
  runtime = new LocalProcessRuntime({ root: runtimeRoot, artifacts: store });
  artifact = await store.publish({ service: 'web', version: '1.2.3', sourceDir: webDir, include: ['dist', 'package.json'] });
});

afterAll(async () => {
  await stopAllInstances(runtimeRoot);
  await rm(tmp, { recursive: true, force: true });
  await rm(path.dirname(webDir), { recursive: true, force: true });
});

const startWeb = (environment: string, overrides: Partial<StartRequest> = {}) =>
  runtime.start({
    service: 'web',
    environment,
    artifact,
    command: 'node dist/server.js',
    healthPath: '/healthz',
    startTimeoutMs: 15_000,
    ...overrides,
  });

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers: { connection: 'close' } });
  return { status: response.status, body: await response.json() };
}

describe('LocalProcessRuntime with the example service', () => {
  let instance: Instance;

  it('starts the built artifact and waits until it is healthy', async () => {
    const progress: string[] = [];
    instance = await startWeb('staging', { onProgress: (m) => progress.push(m) });
    expect(instance).toMatchObject({ id: instanceId(artifact), service: 'web', environment: 'staging', artifact });
    expect(instance.id).toBe(`1.2.3-${artifact.digest.slice(7, 19)}`);
    expect(instance.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(progress[0]).toBe(`unpacking ${artifact.digest}`);

    expect(await getJson(`${instance.url}/`)).toEqual({ status: 200, body: { service: 'web', version: '1.2.3' } });
    expect((await getJson(`${instance.url}/healthz`)).status).toBe(200);

    const dir = path.join(runtimeRoot, 'web', 'staging', instance.id);
    const record = JSON.parse(await readFile(path.join(dir, 'instance.json'), 'utf8'));
    expect(record).toMatchObject({ instance, pid: instance.pid, url: instance.url, state: 'running' });
    expect(await readFile(path.join(dir, 'output.log'), 'utf8')).toContain(`web 1.2.3 listening on ${instance.url}`);
    // Its own process group: it is a deployed service, not a child that dies with the worker.
    expect(groupMembers(instance.pid)).toContain(instance.pid);
  });

  it('returns the running instance when started again', async () => {
    const again = await startWeb('staging');
    expect(again).toEqual(instance);
    expect(isRunning(instance.pid)).toBe(true);
  });

  it('passes the smoke test of the example', async () => {
    const result = await runProcess({ command: 'node smoke.js', cwd: webDir, env: { BASE_URL: instance.url } });
    expect(result.tail.join('\n')).toContain('GET');
    expect(result.exitCode).toBe(0);
  });

  it('activates an instance and reports it active', async () => {
    expect(await runtime.active('web', 'staging')).toBeUndefined();
    await runtime.activate('web', 'staging', instance.id);
    await runtime.activate('web', 'staging', instance.id);
    expect(await runtime.active('web', 'staging')).toEqual(instance);
    expect(await runtime.list('web', 'staging')).toEqual([instance]);
    expect(await runtime.active('web', 'production')).toBeUndefined();
  });

  it('stops an instance, clears the active pointer, and stays stopped', async () => {
    await runtime.stop('web', 'staging', instance.id);
    expect(isRunning(instance.pid)).toBe(false);
    expect(await runtime.active('web', 'staging')).toBeUndefined();
    await runtime.stop('web', 'staging', instance.id);
    await runtime.stop('web', 'staging', 'unknown-instance');
    await expect(runtime.activate('web', 'staging', instance.id)).rejects.toThrow('it is not running (stopped)');
    await expect(runtime.activate('web', 'staging', 'nope')).rejects.toThrow('no such instance');
  });

  it('starts a fresh process when the recorded one has died', async () => {
    const first = await startWeb('production');
    process.kill(-first.pid, 'SIGKILL');
    await waitFor(() => !isRunning(first.pid));
    const second = await startWeb('production');
    expect(second.pid).not.toBe(first.pid);
    expect((await getJson(`${second.url}/healthz`)).status).toBe(200);
    expect(await stopAllInstances(runtimeRoot, 1_000)).toBe(1);
    expect(isRunning(second.pid)).toBe(false);
  });

  it('stops a process a crashed start left unrecorded instead of starting a twin beside it', async () => {
    const first = await startWeb('canary-env');
    const dir = path.join(runtimeRoot, 'web', 'canary-env', first.id);
    // As if the worker had died between the spawn and writing the record.
    await rm(path.join(dir, 'instance.json'));
    expect(Number((await readFile(path.join(dir, 'pid'), 'utf8')).trim())).toBe(first.pid);
    const second = await startWeb('canary-env');
    expect(second.pid).not.toBe(first.pid);
    expect(isRunning(first.pid)).toBe(false);
    expect(groupMembers(first.pid)).toEqual([]);
    expect((await getJson(`${second.url}/healthz`)).status).toBe(200);
    await runtime.stop('web', 'canary-env', second.id);
  });

  it('says so when a record claims running but its process has exited', async () => {
    const started = await startWeb('qa');
    process.kill(-started.pid, 'SIGKILL');
    await waitFor(() => !isRunning(started.pid));
    await expect(runtime.activate('web', 'qa', started.id)).rejects.toThrow(`it is not running (recorded as running, but process ${started.pid} has exited)`);
  });
});

describe('LocalProcessRuntime start failures', () => {
  it('gives up after startTimeoutMs, stops the process and quotes its log', async () => {
    const started = Date.now();
    const err = await startWeb('never-healthy', {
      command: 'echo booting; echo "waiting for a database" >&2; sleep 300',
      startTimeoutMs: 1_500,
    }).then(
      () => new Error('started although it never listens'),
      (e: Error) => e,
    );
    expect(Date.now() - started).toBeLessThan(1_500 + 3_000);
    expect(err.message).toContain('web@1.2.3 in never-healthy did not answer');
    expect(err.message).toContain('within 1500 ms (last: connection refused)');
    expect(err.message).toContain('booting');
    expect(err.message).toContain('waiting for a database');
    const record = JSON.parse(
      await readFile(path.join(runtimeRoot, 'web', 'never-healthy', instanceId(artifact), 'instance.json'), 'utf8'),
    );
    expect(record.state).toBe('failed');
    expect(isRunning(record.pid)).toBe(false);
  });

  it('fails at once when the command exits before it is healthy', async () => {
    const started = Date.now();
    await expect(
      startWeb('exits', { command: 'echo "config file missing" >&2; exit 3', startTimeoutMs: 20_000 }),
    ).rejects.toThrow(/exited with code 3 before .*healthz answered\. Last lines of .*output\.log:\n.*config file missing/s);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('runtime activities', () => {
  const quietEnvironment = () => new MockActivityEnvironment(undefined, { logger: new RecordingLogger() });
  const request = {
    service: 'web',
    environment: 'activities',
    command: 'node dist/server.js',
    healthPath: '/healthz',
    startTimeoutMs: 15_000,
  };

  it('start, activate, read and stop an instance, heartbeating while it starts', async () => {
    const activities = createRuntimeActivities(runtime);
    const env = quietEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const instance: Instance = await env.run(activities.startInstance, { ...request, artifact });
    expect(beats).toContain(`unpacking ${artifact.digest}`);

    const locator = { service: 'web', environment: 'activities', instanceId: instance.id };
    expect(await quietEnvironment().run(activities.activeInstance, { service: 'web', environment: 'activities' })).toBeNull();
    await quietEnvironment().run(activities.activateInstance, locator);
    expect(await quietEnvironment().run(activities.activeInstance, { service: 'web', environment: 'activities' })).toEqual(instance);
    await quietEnvironment().run(activities.stopInstance, locator);
    expect(isRunning(instance.pid)).toBe(false);
  });

  it('fails a start as a non-retryable DeployFailed', async () => {
    const { startInstance } = createRuntimeActivities(runtime);
    const err = await quietEnvironment()
      .run(startInstance, { ...request, environment: 'broken', artifact, command: 'exit 4' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DeployFailed', nonRetryable: true });
    expect((err as ApplicationFailure).message).toContain('exited with code 4');
  });

  it('stops the half-started instance when cancelled and rethrows the cancellation', async () => {
    const { startInstance } = createRuntimeActivities(runtime);
    const env = quietEnvironment();
    let waiting = false;
    env.on('heartbeat', (details: unknown) => {
      if (String(details).startsWith('waiting for')) waiting = true;
    });
    const running = env.run(startInstance, { ...request, environment: 'cancelled', artifact, command: 'sleep 300' });
    await waitFor(() => waiting);
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    const record = JSON.parse(
      await readFile(path.join(runtimeRoot, 'web', 'cancelled', instanceId(artifact), 'instance.json'), 'utf8'),
    );
    expect(record.state).toBe('failed');
    expect(isRunning(record.pid)).toBe(false);
  });
});
