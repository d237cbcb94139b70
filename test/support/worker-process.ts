import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const GANTRY_BIN = path.resolve(__dirname, '..', '..', 'bin', 'gantry.js');

/** The line `gantry worker` logs (pino JSON on stderr) once its Worker is created, just before it polls. */
const STARTED_LINE = 'gantry worker started';

/**
 * `node bin/gantry.js worker` as a separate process: the worker production runs, with
 * its own bundling of the workflows at start, its own connection and its own pid, so a
 * test can SIGKILL it the way a machine or an OOM killer would and start another one.
 */
export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** `Date.now()` when the process was spawned: where a recovery time starts. */
  readonly spawnedAt: number;
  /**
   * Resolves with `Date.now()` at the moment the server first listed this process
   * among the workflow pollers of its task queue; rejects with the worker's output when
   * it exits first or does not get there within `timeoutMs`.
   */
  polling(timeoutMs?: number): Promise<number>;
  /** SIGKILL: no graceful shutdown, no heartbeats, no task completions. Resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful stop; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Everything it wrote to stderr (its pino log) so far. */
  output(): string;
  /** Where the output is also written, for reading after a failed test. */
  readonly logFile?: string;
}

export interface WorkerProcessOptions {
  /** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, GANTRY_TASK_QUEUE, GANTRY_HOME, GANTRY_CATALOGUE (what `gantry worker` reads; test/unit/compose.test.ts derives the list from the code). */
  env: NodeJS.ProcessEnv;
  /** Used to ask the server which processes poll the task queue. */
  client: Client;
  cwd?: string;
  /** Appends the worker's stdout and stderr here. */
  logFile?: string;
}

export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const taskQueue = options.env.GANTRY_TASK_QUEUE;
  if (!taskQueue) throw new Error('startWorkerProcess: env.GANTRY_TASK_QUEUE must be set, or the worker would poll the default queue "gantry"');
  const namespace = options.env.TEMPORAL_NAMESPACE ?? 'default';
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [GANTRY_BIN, 'worker'], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${GANTRY_BIN} worker`);
  const pid = child.pid;

  let output = '';
  let log: WriteStream | undefined;
  if (options.logFile) {
    log = createWriteStream(options.logFile, { flags: 'a' });
    log.write(`=== ${new Date(spawnedAt).toISOString()} gantry worker pid ${pid}\n`);
  }
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    log?.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      log?.end(`=== pid ${pid} exited: ${signal ?? `code ${code}`}\n`);
      resolve({ code, signal });
    }),
  );
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  /**
   * The log line comes after the bundle is built and the Worker created; being listed
   * as a poller is the server's own word that tasks can reach this process. The SDK's
   * default identity is `<pid>@<hostname>`, which tells this worker from a dead one the
   * server still lists for a while.
   */
  const isPolling = async (): Promise<boolean> => {
    if (!output.includes(STARTED_LINE)) return false;
    const answer = await options.client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (answer.pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`));
  };

  let pollingAt: Promise<number> | undefined;
  const polling = (timeoutMs = 60_000): Promise<number> => {
    pollingAt ??= (async () => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (hasExited()) throw new Error(`gantry worker (pid ${pid}) exited before it polled (${child.signalCode ?? `code ${child.exitCode}`}):\n${output}`);
        if (await isPolling().catch(() => false)) return Date.now();
        await sleep(25);
      }
      throw new Error(`gantry worker (pid ${pid}) was not polling ${taskQueue} within ${timeoutMs} ms; its output:\n${output}`);
    })();
    return pollingAt;
  };

  return {
    pid,
    child,
    spawnedAt,
    logFile: options.logFile,
    polling,
    output: () => output,
    async kill() {
      if (!hasExited()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!hasExited()) child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}
