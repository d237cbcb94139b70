import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRuntimeActivities } from '../../src/activities/runtime';
import { ConfigError, parseCatalogue } from '../../src/config/load-catalogue';
import { EnvironmentSchema, type CommandTargetConfig } from '../../src/config/service-catalogue';
import { LocalArtifactStore } from '../../src/providers/artifacts/local-artifact-store';
import { CommandRuntime } from '../../src/providers/runtime/command-runtime';
import { instanceId } from '../../src/providers/runtime/local-process-runtime';
import type { RuntimeProvider, StartRequest } from '../../src/providers/runtime/runtime';
import { TargetRuntime } from '../../src/providers/runtime/target-runtime';
import type { ArtifactRef, Instance } from '../../src/shared/release';
import { RecordingLogger, buildExampleCopy, groupMembers, waitFor } from './support';

const REPO = path.resolve(__dirname, '../..');
const EXAMPLE_SCRIPTS = path.join(REPO, 'examples/command-target/scripts');

let tmp: string;
let store: LocalArtifactStore;
let artifact: ArtifactRef;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'gantry-command-runtime-'));
  store = new LocalArtifactStore(path.join(tmp, 'artifacts'));
  const source = path.join(tmp, 'source');
  await mkdir(source);
  await writeFile(path.join(source, 'hello.txt'), 'hello\n');
  artifact = await store.publish({ service: 'svc', version: '1.0.0', sourceDir: source, include: ['hello.txt'] });
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A target whose commands are inline shell; marks are files the commands leave in the workspace, so a test can tell what ran. */
function target(overrides: Partial<CommandTargetConfig> = {}): CommandTargetConfig {
  return {
    kind: 'command',
    deploy: 'echo "deploying $GANTRY_INSTANCE" && echo x >> deploys && echo "http://127.0.0.1:$GANTRY_PORT"',
    activate: 'echo "$GANTRY_INSTANCE" > current',
    stop: 'echo "$GANTRY_INSTANCE" >> stopped',
    status: 'true',
    timeout: 5_000,
    retries: 0,
    ...overrides,
  };
}

let rootCount = 0;
function runtimeWith(config: CommandTargetConfig): { runtime: CommandRuntime; workspace: string } {
  const root = path.join(tmp, `targets-${(rootCount += 1)}`);
  const runtime = new CommandRuntime({
    root,
    artifacts: store,
    target: config,
    artifactFile: (ref) => store.blobOf(ref),
    catalogueDir: '/platform/catalogue',
    killGraceMs: 500,
    retryDelayMs: 10,
    statusIntervalMs: 50,
  });
  return { runtime, workspace: path.join(root, 'svc', 'staging', 'workspace') };
}

const request = (overrides: Partial<StartRequest> = {}): StartRequest => ({
  service: 'svc',
  environment: 'staging',
  artifact,
  command: 'node server.js',
  healthPath: '/healthz',
  startTimeoutMs: 5_000,
  ...overrides,
});

const lines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('the target field of an environment', () => {
  const CATALOGUE = (target: string) => `version: 1
services:
  svc:
    repository: https://git.example.com/svc.git
    build: make
    test: { unit: make test, lint: make lint }
    artifact: { include: [dist] }
    run: { command: node dist/server.js }
    environments:
      staging:
${target}
`;
  const problems = (text: string) => {
    try {
      parseCatalogue(text, { file: 'gantry.yaml' });
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map(({ path, message }) => ({ path, message }));
      throw err;
    }
    return [];
  };

  it('is local when absent or written as local, as every catalogue before command targets', () => {
    expect(EnvironmentSchema.parse({}).target).toBe('local');
    expect(EnvironmentSchema.parse({ target: 'local' }).target).toBe('local');
  });

  it('takes a command target with a time-out (default 1m) and retries (default 0)', () => {
    const parsed = EnvironmentSchema.parse({ target: { kind: 'command', deploy: 'd', activate: 'a', stop: 's', status: 'st' } });
    expect(parsed.target).toEqual({ kind: 'command', deploy: 'd', activate: 'a', stop: 's', status: 'st', timeout: 60_000, retries: 0 });
    expect(EnvironmentSchema.parse({ target: { ...target(), timeout: '90s', retries: 2 } }).target).toMatchObject({ timeout: 90_000, retries: 2 });
  });

  it.each([
    ['an unknown target kind', '        target: { kind: nomad, job: web }', 'target', /^unknown target kind "nomad" in target\.kind; the kinds are command/],
    ['an unknown target name', '        target: k8s', 'target', /^unknown target "k8s"; expected "local", or an object \{ kind: command/],
    ['a command target without status', '        target: { kind: command, deploy: d, activate: a, stop: s }', 'target', /target\.status: missing required key "status"/],
    ['an empty deploy', '        target: { kind: command, deploy: "", activate: a, stop: s, status: t }', 'target.deploy', /^must be a shell command that starts the new version/],
    ['a time-out over 10m', '        target: { kind: command, deploy: d, activate: a, stop: s, status: t, timeout: 11m }', 'target.timeout', /^must be at most 10m/],
    ['retries that cannot fit', '        target: { kind: command, deploy: d, activate: a, stop: s, status: t, timeout: 5m, retries: 2 }', 'target.retries', /^3 runs of up to 300 s each exceed the 10 minutes/],
  ])('refuses %s, naming the field', (_name, line, field, message) => {
    expect(problems(CATALOGUE(line))).toEqual([{ path: `services.svc.environments.staging.${field}`, message: expect.stringMatching(message) }]);
  });

  it('makes `gantry config validate` exit 2 for an unknown kind', async () => {
    const file = path.join(tmp, 'unknown-kind.yaml');
    await writeFile(file, CATALOGUE('        target: { kind: container-ish }'));
    const run = await promisify(execFile)('node', [path.join(REPO, 'bin/gantry.js'), 'config', 'validate', file]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('services.svc.environments.staging.target: unknown target kind "container-ish" in target.kind');
  });

  it('keeps the example catalogue valid', () => {
    expect(problems(readFileSync(path.join(REPO, 'examples/command-target/gantry.yaml'), 'utf8').replace('../web', 'https://git.example.com/web.git'))).toEqual([]);
  });
});

describe('CommandRuntime', () => {
  it('deploys, waits for status, activates and stops through the commands, telling them what they act on', async () => {
    const seen = path.join(tmp, 'seen.env');
    const { runtime, workspace } = runtimeWith(
      target({
        deploy: `env | grep -E '^(GANTRY_|TEMPORAL_)' | sort > ${seen} && pwd >> ${seen} && echo "http://127.0.0.1:$GANTRY_PORT"`,
        status: '[ -f checked ] || { touch checked; echo "not yet"; exit 1; }',
      }),
    );
    process.env.TEMPORAL_API_KEY = 'secret';
    const progress: string[] = [];
    let instance: Instance;
    try {
      instance = await runtime.start(request({ onProgress: (message) => progress.push(message) }));
    } finally {
      delete process.env.TEMPORAL_API_KEY;
    }
    expect(instance).toMatchObject({ id: instanceId(artifact), service: 'svc', environment: 'staging', artifact, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(progress).toContainEqual(expect.stringMatching(/^waiting for status to exit 0: exit 1 \(not yet\)/));

    const env = Object.fromEntries((await lines(seen)).filter((line) => line.includes('=')).map((line) => line.split(/=(.*)/s).slice(0, 2)));
    expect(env).toMatchObject({
      GANTRY_SERVICE: 'svc',
      GANTRY_ENVIRONMENT: 'staging',
      GANTRY_VERSION: '1.0.0',
      GANTRY_INSTANCE: instance.id,
      GANTRY_ARTIFACT_DIGEST: artifact.digest,
      GANTRY_RUN_COMMAND: 'node server.js',
      GANTRY_HEALTH_PATH: '/healthz',
      GANTRY_CATALOGUE_DIR: '/platform/catalogue',
      GANTRY_PORT: instance.url.split(':').at(-1),
    });
    expect(Object.keys(env).filter((key) => key.startsWith('TEMPORAL_'))).toEqual([]);
    // The artifact as a file (its digest checked) and unpacked.
    expect(`sha256:${createHash('sha256').update(await readFile(env.GANTRY_ARTIFACT)).digest('hex')}`).toBe(artifact.digest);
    expect(await readFile(path.join(env.GANTRY_ARTIFACT_DIR, 'hello.txt'), 'utf8')).toBe('hello\n');
    expect((await lines(seen)).at(-1)).toBe(workspace);

    await runtime.activate('svc', 'staging', instance.id);
    expect(await lines(path.join(workspace, 'current'))).toEqual([instance.id]);
    expect(await runtime.active('svc', 'staging')).toEqual(instance);
    expect(await runtime.list('svc', 'staging')).toEqual([instance]);

    await runtime.stop('svc', 'staging', instance.id);
    await runtime.stop('svc', 'staging', instance.id);
    expect(await lines(path.join(workspace, 'stopped'))).toEqual([instance.id]);
    expect(await runtime.active('svc', 'staging')).toBeUndefined();
    await expect(runtime.activate('svc', 'staging', instance.id)).rejects.toThrow(/it is stopped, not running; deploy it first/);
  });

  it('adopts an instance that is running and healthy instead of deploying it twice', async () => {
    const { runtime, workspace } = runtimeWith(target());
    const first = await runtime.start(request());
    const again = await runtime.start(request());
    expect(again).toEqual(first);
    expect(await lines(path.join(workspace, 'deploys'))).toHaveLength(1);
  });

  it('fails a deploy that exits non-zero with its output tail, after its retries, and cleans up with stop', async () => {
    const { runtime, workspace } = runtimeWith(target({ deploy: 'echo x >> deploys; echo "pulling image"; echo "registry said 401" >&2; exit 3', retries: 2 }));
    const error = await runtime.start(request()).catch((err: Error) => err);
    expect((error as Error).message).toBe(
      'deploy of svc@1.0.0 in staging exited with code 3 (after 3 attempts). Last lines of its output:\n  pulling image\n  registry said 401',
    );
    expect(await lines(path.join(workspace, 'deploys'))).toHaveLength(3);
    expect(await lines(path.join(workspace, 'stopped'))).toEqual([instanceId(artifact)]);
    expect(await runtime.list('svc', 'staging')).toHaveLength(1);
  });

  it('says so when a failed deploy printed nothing', async () => {
    const { runtime } = runtimeWith(target({ deploy: 'exit 1' }));
    await expect(runtime.start(request())).rejects.toThrow(/^deploy of svc@1\.0\.0 in staging exited with code 1; it printed nothing$/);
  });

  it('refuses a deploy that succeeds but prints nothing, or no URL: nothing could reach the instance', async () => {
    const silent = runtimeWith(target({ deploy: 'true' }));
    await expect(silent.runtime.start(request())).rejects.toThrow(
      /^deploy of svc@1\.0\.0 in staging exited 0 but printed nothing: it must print the URL the new instance answers on/,
    );
    expect(await lines(path.join(silent.workspace, 'stopped'))).toHaveLength(1);
    const chatty = runtimeWith(target({ deploy: 'echo "deployed, somewhere"' }));
    await expect(chatty.runtime.start(request())).rejects.toThrow(/exited 0 but printed no URL: .*Last lines of its output:\n {2}deployed, somewhere$/s);
  });

  it('kills a deploy that hangs past its time-out, with everything it started', async () => {
    const pidFile = path.join(tmp, 'hanging.pid');
    const { runtime } = runtimeWith(target({ deploy: `echo $$ > ${pidFile}; echo "waiting for the rollout"; sleep 60 & sleep 60`, timeout: 1_000 }));
    const startedAt = Date.now();
    await expect(runtime.start(request())).rejects.toThrow(
      /^deploy of svc@1\.0\.0 in staging did not finish within 1 s and was killed with everything it started; raise the target's timeout if it needs longer\. Last lines of its output:\n {2}waiting for the rollout$/,
    );
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    const pgid = Number(await readFile(pidFile, 'utf8'));
    await waitFor(() => groupMembers(pgid).length === 0, 3_000);
  });

  it('fails an instance whose status never reports healthy, with what status said, and stops it', async () => {
    const { runtime, workspace } = runtimeWith(target({ status: 'echo "connection refused on /healthz"; exit 1' }));
    await expect(runtime.start(request({ startTimeoutMs: 600 }))).rejects.toThrow(
      /^svc@1\.0\.0 in staging did not report healthy within 600 ms \(the service's run\.startTimeout\); the last status of svc@1\.0\.0 in staging exited with code 1\. Last lines of its output:\n {2}connection refused on \/healthz$/,
    );
    expect(await lines(path.join(workspace, 'stopped'))).toHaveLength(1);
    expect(await runtime.active('svc', 'staging')).toBeUndefined();
  });

  it('reports a failing activate and stop with their output, so the activity retries them', async () => {
    const { runtime } = runtimeWith(target({ activate: 'echo "load balancer busy"; exit 1', stop: 'echo "node unreachable" >&2; exit 2', retries: 1 }));
    const instance = await runtime.start(request());
    await expect(runtime.activate('svc', 'staging', instance.id)).rejects.toThrow(
      'activate of svc@1.0.0 in staging exited with code 1 (after 2 attempts). Last lines of its output:\n  load balancer busy',
    );
    await expect(runtime.stop('svc', 'staging', instance.id)).rejects.toThrow(/^stop of svc@1\.0\.0 in staging exited with code 2 .*\n {2}node unreachable$/s);
  });

  it('turns a failed deploy into a non-retryable DeployFailed carrying the output tail, through the activity', async () => {
    const { runtime } = runtimeWith(target({ deploy: 'echo "quota exceeded"; exit 1' }));
    const env = new MockActivityEnvironment(undefined, { logger: new RecordingLogger() });
    const { service, environment, command, healthPath, startTimeoutMs } = request();
    const failure = await env
      .run(createRuntimeActivities(runtime).startInstance, { service, environment, artifact, command, healthPath, startTimeoutMs })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DeployFailed', nonRetryable: true, message: expect.stringContaining('quota exceeded') });
  });
});

describe('TargetRuntime', () => {
  const recording = (name: string, calls: string[]): RuntimeProvider => ({
    start: async (req) => {
      calls.push(`${name} start ${req.environment}`);
      return { id: 'i', service: req.service, environment: req.environment, artifact: req.artifact, url: 'http://x', pid: 0 };
    },
    active: async (_service, environment) => void calls.push(`${name} active ${environment}`),
    activate: async (_service, environment) => void calls.push(`${name} activate ${environment}`),
    stop: async (_service, environment) => void calls.push(`${name} stop ${environment}`),
    list: async (_service, environment) => (calls.push(`${name} list ${environment}`), []),
  });

  it('sends every call to the runtime of the target the environment names now', async () => {
    const calls: string[] = [];
    const commands = target();
    const runtime = new TargetRuntime({
      local: recording('local', calls),
      command: (config, dir) => recording(`command(${config.deploy === commands.deploy ? 'target' : '?'}, ${dir})`, calls),
      targetOf: async (_service, environment) => (environment === 'staging' ? { target: 'local' } : { target: commands, catalogueDir: '/c' }),
    });
    await runtime.start(request());
    await runtime.start(request({ environment: 'production' }));
    await runtime.active('svc', 'production');
    await runtime.activate('svc', 'staging', 'i');
    await runtime.stop('svc', 'production', 'i');
    await runtime.list('svc', 'staging');
    expect(calls).toEqual([
      'local start staging',
      'command(target, /c) start production',
      'command(target, /c) active production',
      'local activate staging',
      'command(target, /c) stop production',
      'local list staging',
    ]);
  });
});

describe('the command-target example: scripts that run the artifact as a process', () => {
  let webDir: string;
  let webStore: LocalArtifactStore;
  let web: ArtifactRef;

  beforeAll(async () => {
    webDir = await buildExampleCopy('4.5.6');
    webStore = new LocalArtifactStore(path.join(tmp, 'web-artifacts'));
    web = await webStore.publish({ service: 'web', version: '4.5.6', sourceDir: webDir, include: ['dist', 'package.json'] });
  });
  afterAll(async () => {
    await rm(path.dirname(webDir), { recursive: true, force: true });
  });

  it('deploys the built example, serves it, activates it and stops it', async () => {
    const runtime = new CommandRuntime({
      root: path.join(tmp, 'example-targets'),
      artifacts: webStore,
      artifactFile: (ref) => webStore.blobOf(ref),
      catalogueDir: path.dirname(EXAMPLE_SCRIPTS),
      target: {
        kind: 'command',
        deploy: 'sh "$GANTRY_CATALOGUE_DIR/scripts/deploy.sh"',
        activate: 'sh "$GANTRY_CATALOGUE_DIR/scripts/activate.sh"',
        stop: 'sh "$GANTRY_CATALOGUE_DIR/scripts/stop.sh"',
        status: 'sh "$GANTRY_CATALOGUE_DIR/scripts/status.sh"',
        timeout: 30_000,
        retries: 0,
      },
    });
    const instance = await runtime.start({ service: 'web', environment: 'staging', artifact: web, command: 'node dist/server.js', healthPath: '/healthz', startTimeoutMs: 20_000 });
    const answer = await (await fetch(instance.url, { headers: { connection: 'close' } })).json();
    expect(answer).toMatchObject({ service: 'web', version: '4.5.6' });
    // A second start (a retried activity) adopts it: the same URL, still answering.
    expect(await runtime.start({ service: 'web', environment: 'staging', artifact: web, command: 'node dist/server.js', healthPath: '/healthz', startTimeoutMs: 20_000 })).toEqual(instance);

    await runtime.activate('web', 'staging', instance.id);
    expect(await readFile(path.join(tmp, 'example-targets/web/staging/workspace/current'), 'utf8')).toBe(`${instance.id}\n`);

    const pid = Number(await readFile(path.join(tmp, 'example-targets/web/staging/instances', instance.id, 'process/pid'), 'utf8'));
    await runtime.stop('web', 'staging', instance.id);
    await waitFor(() => groupMembers(pid).length === 0, 5_000);
    await expect(fetch(instance.url)).rejects.toThrow();
    expect(existsSync(path.join(tmp, 'example-targets/web/staging/active.json'))).toBe(false);
  });
});
