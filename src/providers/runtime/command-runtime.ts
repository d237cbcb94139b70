import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandTargetConfig } from '../../config/service-catalogue';
import type { ArtifactRef, Instance } from '../../shared/release';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { findFreePort } from '../process/free-port';
import { DEFAULT_KILL_GRACE_MS } from '../process/process-group';
import { readJsonFile, writeJsonAtomic } from '../state-dir';
import { instanceId } from './local-process-runtime';
import { describeTargetFailure, outputOf, runTargetCommand, type TargetCommandOutcome, type TargetVerb } from './run-target-command';
import type { RuntimeProvider, StartRequest } from './runtime';

export interface CommandRuntimeOptions {
  /** Where each service environment's workspace and instance records live. */
  root: string;
  artifacts: ArtifactStore;
  /** The environment's `target` from the catalogue. */
  target: CommandTargetConfig;
  /** Where this machine keeps the artifact's file once `unpack` has fetched it: becomes GANTRY_ARTIFACT. */
  artifactFile?: (artifact: ArtifactRef) => Promise<string | undefined>;
  /** The catalogue's folder, for commands that run scripts kept beside it: becomes GANTRY_CATALOGUE_DIR. */
  catalogueDir?: string;
  /** Between SIGTERM and SIGKILL when a command is stopped (default 5 s). */
  killGraceMs?: number;
  /** Between two runs of `status` while waiting for a new instance (default 1 s). */
  statusIntervalMs?: number;
  /** Pause before the n-th retry of a command is n times this (default 1 s). */
  retryDelayMs?: number;
}

/** `deploying` until status first reports healthy; `stopping` from the stop command's first run until it succeeds. */
type InstanceState = 'deploying' | 'running' | 'failed' | 'stopping' | 'stopped';

/** `instance.json`: what the commands were told, so activate and stop tell them the same. */
interface InstanceRecord {
  instance: Instance;
  state: InstanceState;
  port: number;
  runCommand: string;
  healthPath: string;
  deployedAt: string;
  stoppedAt?: string;
  /** The last lines each command printed in its latest run. */
  output: Partial<Record<TargetVerb, string[]>>;
}

interface ActivePointer {
  instanceId: string;
  activatedAt: string;
}

const HOST = '127.0.0.1';
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
/** A status run never gets less than this, even just before the start time-out. */
const MIN_STATUS_TIMEOUT_MS = 1_000;

/**
 * Runs a service through the deploy, activate, stop and status commands of an
 * environment's `target: { kind: command }`: Gantry decides when, the commands decide
 * how (kubectl, helm, nomad, ssh, a script). Every command runs with `sh -c` in the
 * service environment's workspace, with what it acts on in GANTRY_* variables:
 *
 * ```
 * <root>/<service>/<environment>/workspace/                   where the commands run
 * <root>/<service>/<environment>/active.json                  which instance serves
 * <root>/<service>/<environment>/instances/<id>/instance.json
 * <root>/<service>/<environment>/instances/<id>/artifact/     the unpacked artifact
 * ```
 *
 * A deploy prints the URL the new instance answers on as its last `http(s)://` line;
 * Gantry then runs `status` until it exits 0 (healthy) or the service's start time-out
 * passes. Whatever fails is cleaned up with `stop`, and the error carries the output tail
 * of the command that failed.
 */
export class CommandRuntime implements RuntimeProvider {
  private readonly options: CommandRuntimeOptions;
  private readonly target: CommandTargetConfig;

  constructor(options: CommandRuntimeOptions) {
    this.options = options;
    this.target = options.target;
  }

  async start(request: StartRequest): Promise<Instance> {
    const id = instanceId(request.artifact);
    const dir = this.instanceDir(request.service, request.environment, id);
    const existing = await readRecord(dir);
    if (existing?.state === 'running') {
      // Deployed before (a retried activity, a restarted worker): adopt it if it is still healthy.
      const status = await this.run('status', existing, { retries: 0, signal: request.signal });
      if (status.ok) return existing.instance;
      request.onProgress?.(`${id} is recorded as running but status says it is not healthy; deploying it again`);
    }

    await mkdir(this.workspace(request.service, request.environment), { recursive: true });
    const artifactDir = path.join(dir, 'artifact');
    await rm(artifactDir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    request.onProgress?.(`unpacking ${request.artifact.digest}`);
    await this.options.artifacts.unpack(request.artifact, artifactDir);

    const record: InstanceRecord = {
      instance: { id, service: request.service, environment: request.environment, artifact: request.artifact, url: '', pid: 0 },
      state: 'deploying',
      port: await findFreePort(HOST),
      runCommand: request.command,
      healthPath: request.healthPath,
      deployedAt: new Date().toISOString(),
      output: {},
    };
    // Recorded before the deploy runs, so a stop finds whatever a crashed deploy left.
    await this.save(record);
    try {
      const deploy = await this.run('deploy', record, { signal: request.signal, onLine: (line) => request.onProgress?.(`deploy: ${line}`) });
      request.signal?.throwIfAborted();
      if (!deploy.ok) throw new Error(describeTargetFailure(this.described('deploy', record), deploy));
      if (!deploy.url) throw new Error(noUrlMessage(subjectOf(record), deploy));
      record.instance = { ...record.instance, url: deploy.url };
      await this.save(record);
      await this.awaitHealthy(record, request);
      record.state = 'running';
      await this.save(record);
      return record.instance;
    } catch (err) {
      await this.giveUp(record, request);
      throw err;
    }
  }

  async active(service: string, environment: string): Promise<Instance | undefined> {
    const pointer = await readJsonFile<ActivePointer>(this.activeFile(service, environment));
    if (!pointer) return undefined;
    return (await readRecord(this.instanceDir(service, environment, pointer.instanceId)))?.instance;
  }

  async activate(service: string, environment: string, instanceId: string): Promise<void> {
    const record = await readRecord(this.instanceDir(service, environment, instanceId));
    if (!record) throw new Error(`cannot activate ${instanceId}: ${service} has no such instance in ${environment}`);
    if (record.state !== 'running') {
      throw new Error(`cannot activate ${instanceId} of ${service} in ${environment}: it is ${record.state}, not running; deploy it first`);
    }
    const activate = await this.run('activate', record, {});
    if (!activate.ok) throw new Error(describeTargetFailure(this.described('activate', record), activate));
    await writeJsonAtomic(this.activeFile(service, environment), { instanceId, activatedAt: new Date().toISOString() } satisfies ActivePointer);
  }

  async stop(service: string, environment: string, instanceId: string): Promise<void> {
    const record = await readRecord(this.instanceDir(service, environment, instanceId));
    if (record && record.state !== 'stopped') {
      // Marked first: an instance on its way out is never adopted by a start.
      record.state = 'stopping';
      await this.save(record);
      const stop = await this.run('stop', record, {});
      if (!stop.ok) throw new Error(describeTargetFailure(this.described('stop', record), stop));
      await this.save({ ...record, state: 'stopped', stoppedAt: new Date().toISOString() });
    }
    await this.clearActiveIf(service, environment, instanceId);
  }

  async list(service: string, environment: string): Promise<Instance[]> {
    const instancesDir = path.join(this.environmentDir(service, environment), 'instances');
    const records: InstanceRecord[] = [];
    for (const name of await subdirectories(instancesDir)) {
      const record = await readRecord(path.join(instancesDir, name));
      if (record) records.push(record);
    }
    return records.sort((a, b) => a.deployedAt.localeCompare(b.deployedAt)).map((record) => record.instance);
  }

  /** Runs `status` until it exits 0; throws with its last output once the start time-out has passed. */
  private async awaitHealthy(record: InstanceRecord, request: StartRequest): Promise<void> {
    const startedAt = Date.now();
    for (;;) {
      request.signal?.throwIfAborted();
      const remaining = request.startTimeoutMs - (Date.now() - startedAt);
      const status = await this.run('status', record, {
        retries: 0,
        signal: request.signal,
        timeoutMs: Math.max(MIN_STATUS_TIMEOUT_MS, Math.min(this.target.timeout, remaining)),
      });
      request.signal?.throwIfAborted();
      if (status.ok) return;
      const elapsed = Date.now() - startedAt;
      if (elapsed >= request.startTimeoutMs) {
        const last = describeTargetFailure(this.described('status', record), status);
        throw new Error(`${subjectOf(record)} did not report healthy within ${request.startTimeoutMs} ms (the service's run.startTimeout); the last ${last}`);
      }
      const tail = status.result.tail.at(-1);
      request.onProgress?.(`waiting for status to exit 0: exit ${status.result.exitCode}${tail ? ` (${tail})` : ''} (${Math.round(elapsed / 1000)}s of ${Math.round(request.startTimeoutMs / 1000)}s)`);
      await sleep(Math.min(this.options.statusIntervalMs ?? 1_000, request.startTimeoutMs - elapsed), undefined, request.signal ? { signal: request.signal } : {});
    }
  }

  /** Nothing half-deployed is left behind: `stop` runs (cancelled or not), and the instance is marked failed. */
  private async giveUp(record: InstanceRecord, request: StartRequest): Promise<void> {
    const stop = await this.run('stop', record, {});
    if (!stop.ok) request.onProgress?.(describeTargetFailure(this.described('stop', record), stop));
    await this.save({ ...record, state: 'failed', stoppedAt: new Date().toISOString() });
  }

  /** Runs one command of the target for `record` and keeps its output tail in the record. */
  private async run(
    verb: TargetVerb,
    record: InstanceRecord,
    options: { retries?: number; timeoutMs?: number; signal?: AbortSignal; onLine?: (line: string) => void },
  ): Promise<TargetCommandOutcome> {
    const outcome = await runTargetCommand({
      verb,
      command: this.target[verb],
      cwd: this.workspace(record.instance.service, record.instance.environment),
      env: await this.commandEnv(record),
      timeoutMs: options.timeoutMs ?? this.target.timeout,
      retries: options.retries ?? this.target.retries,
      subject: subjectOf(record),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onLine ? { onLine: options.onLine } : {}),
      ...(this.options.killGraceMs !== undefined ? { killGraceMs: this.options.killGraceMs } : { killGraceMs: DEFAULT_KILL_GRACE_MS }),
      ...(this.options.retryDelayMs !== undefined ? { retryDelayMs: this.options.retryDelayMs } : {}),
    });
    record.output[verb] = outcome.result.tail;
    // Status runs every second while waiting; its record is written with the next state change.
    if (verb !== 'status') await this.save(record);
    return outcome;
  }

  /**
   * The worker's environment minus its Temporal settings (an API key has no business in
   * a deploy script), plus what the commands act on.
   */
  private async commandEnv(record: InstanceRecord): Promise<Record<string, string>> {
    const { instance } = record;
    const inherited = Object.entries(process.env).filter((entry): entry is [string, string] => !entry[0].startsWith('TEMPORAL_') && entry[1] !== undefined);
    const file = await this.options.artifactFile?.(instance.artifact);
    const dir = this.instanceDir(instance.service, instance.environment, instance.id);
    return {
      ...Object.fromEntries(inherited),
      GANTRY_SERVICE: instance.service,
      GANTRY_ENVIRONMENT: instance.environment,
      GANTRY_INSTANCE: instance.id,
      GANTRY_VERSION: instance.artifact.version,
      GANTRY_ARTIFACT_DIGEST: instance.artifact.digest,
      GANTRY_ARTIFACT_DIR: path.join(dir, 'artifact'),
      GANTRY_INSTANCE_DIR: dir,
      GANTRY_HOST: HOST,
      GANTRY_PORT: String(record.port),
      GANTRY_RUN_COMMAND: record.runCommand,
      GANTRY_HEALTH_PATH: record.healthPath,
      ...(file ? { GANTRY_ARTIFACT: file } : {}),
      ...(instance.url ? { GANTRY_URL: instance.url } : {}),
      ...(this.options.catalogueDir ? { GANTRY_CATALOGUE_DIR: this.options.catalogueDir } : {}),
    };
  }

  private described(verb: TargetVerb, record: InstanceRecord) {
    return { verb, subject: subjectOf(record), timeoutMs: this.target.timeout };
  }

  private async clearActiveIf(service: string, environment: string, instanceId: string): Promise<void> {
    const file = this.activeFile(service, environment);
    const pointer = await readJsonFile<ActivePointer>(file);
    if (pointer?.instanceId === instanceId) await rm(file, { force: true });
  }

  private save(record: InstanceRecord): Promise<void> {
    const { service, environment, id } = record.instance;
    return writeJsonAtomic(path.join(this.instanceDir(service, environment, id), 'instance.json'), record);
  }

  private environmentDir(service: string, environment: string): string {
    return path.join(this.options.root, safeSegment('service', service), safeSegment('environment', environment));
  }

  private workspace(service: string, environment: string): string {
    return path.join(this.environmentDir(service, environment), 'workspace');
  }

  private activeFile(service: string, environment: string): string {
    return path.join(this.environmentDir(service, environment), 'active.json');
  }

  private instanceDir(service: string, environment: string, id: string): string {
    return path.join(this.environmentDir(service, environment), 'instances', safeSegment('instance id', id));
  }
}

function subjectOf(record: InstanceRecord): string {
  return `${record.instance.service}@${record.instance.artifact.version} in ${record.instance.environment}`;
}

/** A deploy that succeeded without saying where the instance answers: nothing could route to it or check it. */
function noUrlMessage(subject: string, deploy: TargetCommandOutcome): string {
  const what = deploy.lineCount === 0 ? 'printed nothing' : 'printed no URL';
  return (
    `deploy of ${subject} exited 0 but ${what}: it must print the URL the new instance answers on as a line of its own on stdout, ` +
    `e.g. echo "http://127.0.0.1:$GANTRY_PORT"${deploy.lineCount === 0 ? '' : outputOf(deploy.result)}`
  );
}

function readRecord(dir: string): Promise<InstanceRecord | undefined> {
  return readJsonFile<InstanceRecord>(path.join(dir, 'instance.json'));
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
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
