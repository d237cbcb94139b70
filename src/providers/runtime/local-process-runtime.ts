import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactRef, Instance } from '../../shared/release';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { instanceIdFor } from '../../policy/environment-restore';
import { findFreePort } from '../process/free-port';
import { probeHttp } from '../process/http-probe';
import { readLastLines } from '../process/log-tail';
import { DEFAULT_KILL_GRACE_MS, isProcessAlive, isProcessGroupAlive, killProcessGroup } from '../process/process-group';
import { readJsonFile, writeJsonAtomic } from '../state-dir';
import type { RuntimeProvider, StartRequest } from './runtime';

export interface LocalProcessRuntimeOptions {
  /** Where unpacked apps, logs and instance records live. */
  root: string;
  artifacts: ArtifactStore;
  /** Between SIGTERM and SIGKILL when stopping (default 5 s). */
  killGraceMs?: number;
}

/** `stopping`: told to stop and draining; never adopted or activated again, only restarted. */
type InstanceState = 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

/** `instance.json`: what a later worker (or `stopAllInstances`) needs to find the process again. */
interface InstanceRecord {
  instance: Instance;
  pid: number;
  port: number;
  url: string;
  state: InstanceState;
  command: string;
  logFile: string;
  startedAt: string;
  stoppedAt?: string;
}

/** `active.json`: which instance serves the environment. */
interface ActivePointer {
  instanceId: string;
  activatedAt: string;
}

const HOST = '127.0.0.1';
const POLL_MS = 200;
const PROBE_TIMEOUT_MS = 1_000;
// The last probe before the deadline still gets this long: a probe given 1 ms reports
// "no answer" even when the port refuses at once, hiding the real reason in the error.
const MIN_PROBE_TIMEOUT_MS = 250;
const LOG_LINES_IN_ERRORS = 20;
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
/** Written by the instance's own shell as it starts, beside instance.json. */
const PID_FILE = 'pid';

/**
 * Runs each instance as a local process on a loopback port:
 *
 * ```
 * <root>/<service>/<environment>/active.json
 * <root>/<service>/<environment>/<version>-<digest12>/app/           unpacked artifact
 * <root>/<service>/<environment>/<version>-<digest12>/output.log     stdout and stderr
 * <root>/<service>/<environment>/<version>-<digest12>/instance.json
 * ```
 *
 * Instances are deployed services, not children of the worker: they run in their own
 * process group with their output in a file, so they keep serving when the worker
 * stops, and a new worker finds them again through instance.json.
 */
export class LocalProcessRuntime implements RuntimeProvider {
  private readonly root: string;
  private readonly artifacts: ArtifactStore;
  private readonly killGraceMs: number;

  constructor(options: LocalProcessRuntimeOptions) {
    this.root = options.root;
    this.artifacts = options.artifacts;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  async start(request: StartRequest): Promise<Instance> {
    const id = instanceId(request.artifact);
    const dir = this.instanceDir(request.service, request.environment, id);
    const existing = await readRecord(dir);
    if (existing && (existing.state === 'starting' || existing.state === 'running') && isProcessAlive(existing.pid)) {
      // Started before (a retried activity, a restarted worker): adopt it rather than start a second copy.
      return this.awaitHealthy(dir, existing, request, () => (isProcessAlive(existing.pid) ? undefined : 'exited'));
    }
    if (existing && isProcessGroupAlive(existing.pid)) await killProcessGroup(existing.pid, this.killGraceMs);
    // A worker that died between the spawn and the record left a process nobody recorded;
    // it wrote its own pid first thing, so the retry stops it instead of starting a twin.
    const unrecorded = await readPidFile(dir);
    if (unrecorded !== undefined && unrecorded !== existing?.pid && isProcessGroupAlive(unrecorded)) {
      await killProcessGroup(unrecorded, this.killGraceMs);
    }

    const appDir = path.join(dir, 'app');
    await rm(appDir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    request.onProgress?.(`unpacking ${request.artifact.digest}`);
    await this.artifacts.unpack(request.artifact, appDir);

    const port = await findFreePort(HOST);
    const url = `http://${HOST}:${port}`;
    const logFile = path.join(dir, 'output.log');
    const child = await spawnInstance(request, appDir, port, logFile, path.join(dir, PID_FILE));
    const record: InstanceRecord = {
      instance: {
        id,
        service: request.service,
        environment: request.environment,
        artifact: request.artifact,
        url,
        pid: child.pid as number,
      },
      pid: child.pid as number,
      port,
      url,
      state: 'starting',
      command: request.command,
      logFile,
      startedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(path.join(dir, 'instance.json'), record);
    return this.awaitHealthy(dir, record, request, () => howItEnded(child));
  }

  async active(service: string, environment: string): Promise<Instance | undefined> {
    const envDir = this.environmentDir(service, environment);
    const pointer = await readJsonFile<ActivePointer>(path.join(envDir, 'active.json'));
    if (!pointer) return undefined;
    const record = await readRecord(path.join(envDir, pointer.instanceId));
    return record?.instance;
  }

  async activate(service: string, environment: string, instanceId: string): Promise<void> {
    const envDir = this.environmentDir(service, environment);
    const record = await readRecord(this.instanceDir(service, environment, instanceId));
    if (!record) throw new Error(`cannot activate ${instanceId}: ${service} has no such instance in ${environment}`);
    if (record.state !== 'running' || !isProcessAlive(record.pid)) {
      const why = record.state === 'running' ? `recorded as running, but process ${record.pid} has exited` : record.state;
      throw new Error(`cannot activate ${instanceId} of ${service} in ${environment}: it is not running (${why}); start it first`);
    }
    const pointer: ActivePointer = { instanceId, activatedAt: new Date().toISOString() };
    await writeJsonAtomic(path.join(envDir, 'active.json'), pointer);
  }

  async stop(service: string, environment: string, instanceId: string): Promise<void> {
    const dir = this.instanceDir(service, environment, instanceId);
    const record = await readRecord(dir);
    if (record) await stopRecorded(dir, record, this.killGraceMs);
    await clearActiveIf(this.environmentDir(service, environment), instanceId);
  }

  async list(service: string, environment: string): Promise<Instance[]> {
    const records = await readRecords(this.environmentDir(service, environment));
    return records.map(({ record }) => record.instance);
  }

  /**
   * Polls the health path until it answers 2xx. On failure or cancellation the
   * process group is stopped, so nothing half-started is left behind, and the error
   * carries the end of the instance's log: that is where the reason usually is.
   */
  private async awaitHealthy(
    dir: string,
    record: InstanceRecord,
    request: StartRequest,
    exited: () => string | undefined,
  ): Promise<Instance> {
    const healthUrl = `${record.url}${request.healthPath}`;
    const name = `${request.service}@${request.artifact.version} in ${request.environment}`;
    const startedAt = Date.now();
    let last = 'not tried yet';
    let failure: string | undefined;
    try {
      for (;;) {
        request.signal?.throwIfAborted();
        const exit = exited();
        if (exit) {
          failure = `${name} ${exit} before ${healthUrl} answered`;
          break;
        }
        const remaining = request.startTimeoutMs - (Date.now() - startedAt);
        const probe = await probeHttp(healthUrl, Math.max(MIN_PROBE_TIMEOUT_MS, Math.min(PROBE_TIMEOUT_MS, remaining)));
        if (probe.ok) {
          const running: InstanceRecord = { ...record, state: 'running' };
          await writeJsonAtomic(path.join(dir, 'instance.json'), running);
          return running.instance;
        }
        last = probe.reason;
        const elapsed = Date.now() - startedAt;
        if (elapsed >= request.startTimeoutMs) {
          failure = `${name} did not answer ${healthUrl} with 2xx within ${request.startTimeoutMs} ms (last: ${last})`;
          break;
        }
        request.onProgress?.(`waiting for ${healthUrl}: ${last} (${Math.round(elapsed / 1000)}s of ${Math.round(request.startTimeoutMs / 1000)}s)`);
        await sleep(Math.min(POLL_MS, request.startTimeoutMs - elapsed), undefined, { signal: request.signal });
      }
    } catch (err) {
      await this.giveUp(dir, record);
      throw err;
    }
    await this.giveUp(dir, record);
    const lines = await readLastLines(record.logFile, LOG_LINES_IN_ERRORS);
    const log = lines.length > 0 ? lines.map((line) => `  ${line}`).join('\n') : '  (empty)';
    throw new Error(`${failure}. Last lines of ${record.logFile}:\n${log}`);
  }

  private async giveUp(dir: string, record: InstanceRecord): Promise<void> {
    await killProcessGroup(record.pid, this.killGraceMs);
    await writeJsonAtomic(path.join(dir, 'instance.json'), { ...record, state: 'failed', stoppedAt: new Date().toISOString() });
  }

  private environmentDir(service: string, environment: string): string {
    return path.join(this.root, safeSegment('service', service), safeSegment('environment', environment));
  }

  private instanceDir(service: string, environment: string, id: string): string {
    return path.join(this.environmentDir(service, environment), safeSegment('instance id', id));
  }
}

/**
 * Stops every instance recorded under `root` and clears the active pointers; returns
 * how many processes it stopped. For tests and for cleaning up after a demo.
 */
export async function stopAllInstances(root: string, killGraceMs = DEFAULT_KILL_GRACE_MS): Promise<number> {
  let stopped = 0;
  for (const service of await subdirectories(root)) {
    for (const environment of await subdirectories(path.join(root, service))) {
      const envDir = path.join(root, service, environment);
      for (const { dir, record } of await readRecords(envDir)) {
        if (await stopRecorded(dir, record, killGraceMs)) stopped += 1;
      }
      await rm(path.join(envDir, 'active.json'), { force: true });
    }
  }
  return stopped;
}

/** `<version>-<first 12 hex of the digest>`: readable, and distinct for two builds of one version. */
export function instanceId(artifact: ArtifactRef): string {
  const hex = /^sha256:([0-9a-f]{12})/.exec(artifact.digest)?.[1];
  if (!hex) throw new Error(`artifact ${artifact.service}@${artifact.version} has digest "${artifact.digest}"; expected sha256:<hex>`);
  return instanceIdFor(artifact.version, artifact.digest);
}

async function spawnInstance(request: StartRequest, appDir: string, port: number, logFile: string, pidFile: string): Promise<ChildProcess> {
  const log = await open(logFile, 'a');
  try {
    await log.write(`--- ${new Date().toISOString()} starting ${request.service}@${request.artifact.version} on port ${port}: ${request.command}\n`);
    // The shell writes its pid (the group's id) before it becomes the service: even a
    // worker killed right after this spawn leaves a trace of what it started.
    const child = spawn('sh', ['-c', 'echo $$ > "$1" && exec sh -c "$2"', 'gantry-instance', pidFile, request.command], {
      cwd: appDir,
      env: instanceEnv(request, port),
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`could not start \`${request.command}\` in ${appDir}: ${err.message}`)));
    });
    // The instance must not keep the worker's event loop alive, nor die with it.
    child.unref();
    return child;
  } finally {
    // The child holds its own copy of the descriptor.
    await log.close();
  }
}

/** How a child of this worker ended, once it has; read from the handle so an exit before anyone listened still counts. */
function howItEnded(child: ChildProcess): string | undefined {
  if (child.signalCode) return `was killed by ${child.signalCode}`;
  if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
  return undefined;
}

/**
 * The worker's environment minus its Temporal settings (an API key has no business in
 * a deployed service), plus what the service needs to know about itself.
 */
function instanceEnv(request: StartRequest, port: number): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TEMPORAL_')));
  return {
    ...inherited,
    PORT: String(port),
    HOST,
    GANTRY_SERVICE: request.service,
    GANTRY_VERSION: request.artifact.version,
    GANTRY_ENVIRONMENT: request.environment,
  };
}

/** Stops the recorded process if it still runs and marks it stopped; true when a process was stopped. */
async function stopRecorded(dir: string, record: InstanceRecord, killGraceMs: number): Promise<boolean> {
  if (record.state === 'stopped') return false;
  const alive = isProcessGroupAlive(record.pid);
  // Marked first: a draining instance still answers, and must not be adopted as healthy
  // by a start (a rollback) while it is on its way out.
  if (alive) await writeJsonAtomic(path.join(dir, 'instance.json'), { ...record, state: 'stopping' });
  if (alive) await killProcessGroup(record.pid, killGraceMs);
  await writeJsonAtomic(path.join(dir, 'instance.json'), { ...record, state: 'stopped', stoppedAt: new Date().toISOString() });
  return alive;
}

async function clearActiveIf(envDir: string, instanceId: string): Promise<void> {
  const file = path.join(envDir, 'active.json');
  const pointer = await readJsonFile<ActivePointer>(file);
  if (pointer?.instanceId === instanceId) await rm(file, { force: true });
}

async function readPidFile(dir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path.join(dir, PID_FILE), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readRecord(dir: string): Promise<InstanceRecord | undefined> {
  return readJsonFile<InstanceRecord>(path.join(dir, 'instance.json'));
}

async function readRecords(envDir: string): Promise<Array<{ dir: string; record: InstanceRecord }>> {
  const found: Array<{ dir: string; record: InstanceRecord }> = [];
  for (const name of await subdirectories(envDir)) {
    const dir = path.join(envDir, name);
    const record = await readRecord(dir);
    if (record) found.push({ dir, record });
  }
  return found.sort((a, b) => a.record.startedAt.localeCompare(b.record.startedAt));
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

/** Names become directory names: nothing that could climb out of the root. */
function safeSegment(what: string, value: string): string {
  if (!SAFE_SEGMENT.test(value) || value.includes('..')) {
    throw new Error(`${what} "${value}" cannot be used as a directory name: use letters, digits, . _ + - (no ..)`);
  }
  return value;
}
