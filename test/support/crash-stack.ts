import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { stopAllRouters } from '../../src/providers/router/embedded-router-provider';
import { stopAllInstances } from '../../src/providers/runtime/local-process-runtime';
import { runtimeDir } from '../../src/providers/state-dir';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { commandLines } from './command-lines';
import { sharedServerAddress, type E2EStack } from './e2e-stack';
import { createE2EWorkspace } from './e2e-workspace';
import { startWorkerProcess, type WorkerProcess } from './worker-process';


/**
 * An end-to-end workspace like ./e2e-stack.ts (a copy of the examples, its own task
 * queue and GANTRY_HOME, the real `gantry` and `temporal` command lines), except that
 * the worker is not in the test's process: it is `gantry worker`, a child process the
 * test can SIGKILL and replace (./worker-process.ts). Against the shared dev server by
 * default, or against a server of the test's own (`address`).
 */
export interface CrashStack extends E2EStack {
  /** The worker running now, if any. */
  readonly worker: WorkerProcess | undefined;
  /** Starts a worker process and waits until it polls; resolves with it. */
  startWorker(): Promise<WorkerProcess>;
  /** Starts a worker process without waiting: recovery times start at its spawn. */
  spawnWorker(): WorkerProcess;
  /** SIGKILLs the current worker and waits until it is gone. */
  killWorker(): Promise<void>;
  /** Rewrites the catalogue from the examples' one; the worker picks it up at the next admission. */
  writeCatalogue(edit: (yaml: string) => string): void;
  /** The release's status through the status query, or undefined when no worker answered within `timeoutMs`. */
  status(service: string, version: string, timeoutMs?: number): Promise<ReleaseStatus | undefined>;
}

/** The audit log of a crash stack's workers, relative to its folder (their working directory). */
export const AUDIT_LOG = 'audit.jsonl';

export async function startCrashStack(name: string, options: { editConfig?: (yaml: string) => string; address?: string } = {}): Promise<CrashStack> {
  const address = options.address ?? sharedServerAddress();
  const { dir, configFile, home, taskQueue, env, writeCatalogue, repository, commit, commitFiles } = createE2EWorkspace(`crash-${name}`, address, {
    editConfig: options.editConfig,
    // The worker's log is kept in a file per stack; info level says what each activity did.
    // Every worker of the stack appends its decisions to one audit log in the stack's folder.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', GANTRY_AUDIT_LOG: AUDIT_LOG },
  });

  // A grpc-js connection: it reconnects by itself when a server comes back on the same address.
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });

  let worker: WorkerProcess | undefined;
  let workers = 0;
  const spawnWorker = () => {
    workers += 1;
    worker = startWorkerProcess({ env, client, cwd: dir, logFile: path.join(dir, `worker-${workers}.log`) });
    return worker;
  };

  return {
    dir,
    configFile,
    home,
    taskQueue,
    address,
    client,
    env,
    repository,
    commit,
    commitFiles,
    ...commandLines(dir, env, address),
    get worker() {
      return worker;
    },
    spawnWorker,
    async startWorker() {
      const started = spawnWorker();
      await started.polling();
      return started;
    },
    async killWorker() {
      await worker?.kill();
    },
    writeCatalogue,
    async status(service, version, timeoutMs = 3_000) {
      const handle = client.workflow.getHandle(releaseWorkflowId(service, version));
      // A query needs a worker; while none runs it would wait for the gRPC deadline.
      return connection.withDeadline(Date.now() + timeoutMs, () => handle.query(statusQuery)).catch(() => undefined);
    },
    async stop() {
      // Graceful: nothing should be running by now, and a clean stop leaves no task half-done.
      if (worker) await worker.stop();
      await stopAllInstances(runtimeDir(home));
      await stopAllRouters(path.join(home, 'routers'));
      await connection.close();
      // Artifacts and unpacked apps are most of the disk a run leaves (the crash matrix packs
      // 40 MB of ballast); worker logs, instance records and their output logs stay to read.
      rmSync(path.join(home, 'artifacts'), { recursive: true, force: true });
      for (const service of existsSync(runtimeDir(home)) ? readdirSync(runtimeDir(home)) : []) {
        for (const environment of readdirSync(path.join(runtimeDir(home), service))) {
          for (const entry of readdirSync(path.join(runtimeDir(home), service, environment), { withFileTypes: true })) {
            if (entry.isDirectory()) rmSync(path.join(runtimeDir(home), service, environment, entry.name, 'app'), { recursive: true, force: true });
          }
        }
      }
    },
  };
}

/** Polls `check` every `everyMs` until it returns a value; fails after `timeoutMs`, naming what it waited for. */
export async function pollUntil<T>(what: string, check: () => Promise<T | undefined>, options: { everyMs?: number; timeoutMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(options.everyMs ?? 100);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/**
 * How many times each instance of `version` was spawned, per environment: the
 * `--- <time> starting …` lines the local process runtime appends to an instance's
 * output.log before every spawn. Keys are `<environment>/<instance id>`.
 */
export function spawnCounts(home: string, service: string, version: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const serviceDir = path.join(runtimeDir(home), service);
  if (!existsSync(serviceDir)) return counts;
  for (const environment of readdirSync(serviceDir)) {
    const envDir = path.join(serviceDir, environment);
    for (const instance of readdirSync(envDir)) {
      // Instance IDs are `<version>-<12 hex of the digest>`: match the whole version, not a prefix of another.
      if (!new RegExp(`^${version.replace(/[.+]/g, '\\$&')}-[0-9a-f]{12}$`).test(instance)) continue;
      const log = path.join(envDir, instance, 'output.log');
      counts[`${environment}/${instance}`] = existsSync(log) ? (readFileSync(log, 'utf8').match(/^--- \S+ starting /gm) ?? []).length : 0;
    }
  }
  return counts;
}

/**
 * The state each instance of `version` has in its instance.json (`starting`, `running`,
 * `stopping`, …), per `<environment>/<instance id>`; absent for an instance whose record
 * is not written yet.
 */
export function instanceStates(home: string, service: string, version: string): Record<string, string> {
  const states: Record<string, string> = {};
  for (const key of Object.keys(spawnCounts(home, service, version))) {
    const file = path.join(runtimeDir(home), service, key, 'instance.json');
    if (!existsSync(file)) continue;
    try {
      states[key] = (JSON.parse(readFileSync(file, 'utf8')) as { state: string }).state;
    } catch {
      // Written atomically (rename), so this is only a record replaced while being read.
    }
  }
  return states;
}
