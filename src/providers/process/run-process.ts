import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { DEFAULT_KILL_GRACE_MS, killProcessGroup } from './process-group';
import { forEachLine } from './lines';
import { TailBuffer } from './log-tail';

export interface RunProcessOptions {
  /** Run with `sh -c`, so pipes, `&&` and variables work as they do in a terminal. */
  command: string;
  cwd: string;
  /** Added to the current environment, or the whole environment with `inheritEnv: false`. */
  env?: Record<string, string>;
  /** Whether the command starts from this process's environment (default true). */
  inheritEnv?: boolean;
  /** Stop the process group after this long and report `stoppedBy: 'timeout'`. */
  timeoutMs?: number;
  /** Stop the process group when aborted and report `stoppedBy: 'abort'`. */
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Called once the shell has started, with its pid, which is also the id of its process
   * group: a caller that may die before the command ends can record it, so that whoever
   * takes over can stop what was left running.
   */
  onSpawn?: (pid: number) => void;
  /** How many of the last output lines to keep (default 30). */
  tailLines?: number;
  /** Between SIGTERM and SIGKILL when stopping (default 5 s). */
  killGraceMs?: number;
}

export interface ProcessResult {
  /**
   * The process group id, which is also the pid of the `sh` that ran the command;
   * absent when the signal was aborted before anything started.
   */
  pid?: number;
  /** Exit code; for a process ended by a signal, 128 + the signal number, as shells report it. */
  exitCode: number;
  /** The signal that ended the process, if one did. */
  signal?: NodeJS.Signals;
  durationMs: number;
  /** Last lines of stdout and stderr, interleaved in the order they arrived. */
  tail: string[];
  /** Set when Gantry stopped the process rather than letting it finish. */
  stoppedBy?: 'timeout' | 'abort';
}

/** The command could not be started at all (as opposed to starting and failing). */
export class ProcessSpawnError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProcessSpawnError';
  }
}

/** After the shell exits, how long output may stay open (held by a process outside the group) before it is cut off. */
const OUTPUT_DRAIN_MS = 2_000;

/**
 * Runs a shell command as the leader of its own process group, streams its output
 * line by line and resolves with how it ended. It rejects only when the command cannot
 * start; a non-zero exit, a timeout or an abort are results for the caller to judge.
 *
 * When the shell exits, anything it left running in its group is stopped too: a build
 * or test step that leaves a server behind would otherwise leak it into the worker and
 * hold the output pipes open forever.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  await assertDirectory(options.cwd);
  const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const tail = new TailBuffer(options.tailLines ?? 30);
  const startedAt = Date.now();
  if (options.signal?.aborted) return { exitCode: 0, durationMs: 0, tail: [], stoppedBy: 'abort' };

  const child = spawn('sh', ['-c', options.command], {
    cwd: options.cwd,
    env: options.inheritEnv === false ? { ...options.env } : { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new ProcessSpawnError(`could not start \`${options.command}\` in ${options.cwd}: ${err.message}`, { cause: err })),
    );
  });
  const pid = child.pid as number;
  try {
    options.onSpawn?.(pid);
  } catch (err) {
    // Nobody would ever stop or wait for a group whose caller gave up here.
    await killProcessGroup(pid, grace);
    throw err;
  }

  const collect = (stream: 'stdout' | 'stderr') => (line: string) => {
    tail.push(line);
    options.onLine?.(line, stream);
  };
  const output = Promise.all([forEachLine(child.stdout, collect('stdout')), forEachLine(child.stderr, collect('stderr'))]);

  let stoppedBy: ProcessResult['stoppedBy'];
  let stopping: Promise<void> | undefined;
  const stop = (reason: 'timeout' | 'abort') => {
    if (stopping) return;
    stoppedBy = reason;
    stopping = killProcessGroup(pid, grace);
  };
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), options.timeoutMs);
  const onAbort = () => stop('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const exit = await exited;
    await (stopping ?? killProcessGroup(pid, grace));
    await drain(output, child.stdout, child.stderr);
    return {
      pid,
      exitCode: exit.code ?? 128 + (exit.signal ? osConstants.signals[exit.signal] : 0),
      ...(exit.signal ? { signal: exit.signal } : {}),
      durationMs: Date.now() - startedAt,
      tail: tail.toArray(),
      ...(stoppedBy ? { stoppedBy } : {}),
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Waits for the output streams to close. A process that escaped the group (setsid,
 * double fork) can keep them open; after a short wait they are closed from this side.
 */
async function drain(output: Promise<unknown>, ...streams: Readable[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const stream of streams) stream.destroy();
      resolve();
    }, OUTPUT_DRAIN_MS);
  });
  await Promise.race([output, cutOff]);
  clearTimeout(timer);
  await output;
}

/** Spawning in a missing directory fails with a misleading "spawn sh ENOENT"; say what is actually wrong. */
async function assertDirectory(cwd: string): Promise<void> {
  let isDirectory = false;
  try {
    isDirectory = (await stat(cwd)).isDirectory();
  } catch (err) {
    throw new ProcessSpawnError(`working directory ${cwd} does not exist`, { cause: err });
  }
  if (!isDirectory) throw new ProcessSpawnError(`working directory ${cwd} is not a directory`);
}
