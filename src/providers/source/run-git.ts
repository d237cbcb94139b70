import { spawn } from 'node:child_process';
import { killProcessGroup } from '../process/process-group';

export interface RunGitOptions {
  /** Kill git (and what it started: ssh, remote helpers) after this long. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Written to git's stdin; without it stdin is closed at once, so nothing can wait for input. */
  input?: string;
}

export interface GitOutput {
  stdout: Buffer;
  stderr: string;
}

/** Git ran and failed, or ran too long; `stderr` holds what it said. */
export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super(
      timedOut
        ? `git ${args.join(' ')} did not finish in time and was stopped`
        : `git ${args.join(' ')} failed (exit ${exitCode ?? 'by signal'}): ${lastLines(stderr, 5) || 'no message'}`,
    );
    this.name = 'GitCommandError';
  }
}

/** The last `count` non-empty lines of a tool's output, for messages. */
export function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join('\n');
}

/**
 * Variables that would point git at another repository than the one named on its command
 * line: a worker started from a git hook, or a shell that exported GIT_DIR, must not make
 * Gantry fetch into (or check out over) the wrong repository.
 */
const REPOSITORY_LOCATION_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
];

/** After git exits, how long a process it left behind may hold its output open. */
const OUTPUT_DRAIN_MS = 2_000;
const KILL_GRACE_MS = 1_000;

/**
 * Runs git without a shell and never lets it wait for a person: stdin is closed,
 * terminal prompts are off, and git leads a new session, so neither git nor ssh has a
 * terminal to ask for a password or a host key on; it fails instead, and says why.
 * The caller's PATH and HOME (credential helpers, ssh keys, known_hosts) are kept.
 *
 * Resolves with the output when git exits 0. Rejects with GitCommandError when it fails
 * or outlives `timeoutMs`, with the signal's reason when aborted; a timeout or an abort
 * stops the whole process group, not just git.
 */
export async function runGit(args: readonly string[], options: RunGitOptions): Promise<GitOutput> {
  options.signal?.throwIfAborted();
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  for (const name of REPOSITORY_LOCATION_VARIABLES) delete env[name];
  // No hooks: a core.hooksPath in the worker's own git config must not run during a checkout.
  const fullArgs = ['-c', 'core.hooksPath=/dev/null', ...args];

  const child = spawn('git', fullArgs, {
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.on('error', () => undefined); // git may exit before reading all of it
  child.stdin.end(options.input ?? '');

  let stopping: 'timeout' | 'abort' | undefined;
  let killed: Promise<void> = Promise.resolve();
  const stop = (reason: 'timeout' | 'abort') => {
    if (stopping || child.pid === undefined) return;
    stopping = reason;
    killed = killProcessGroup(child.pid, KILL_GRACE_MS);
  };
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  const onAbort = () => stop('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'ENOENT' ? new Error('git is not installed on this worker (not found on PATH)', { cause: err }) : err),
      );
      child.once('exit', (code) => {
        // An ssh ControlPersist master or a stray helper can keep the pipes open for good.
        const drain = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, OUTPUT_DRAIN_MS);
        child.once('close', () => {
          clearTimeout(drain);
          resolve(code);
        });
      });
    });
    await killed;
    if (stopping === 'abort') throw options.signal?.reason ?? new Error('git was aborted');
    const errorText = Buffer.concat(stderr).toString('utf8');
    if (stopping === 'timeout' || exitCode !== 0) throw new GitCommandError(args, exitCode, errorText, stopping === 'timeout');
    return { stdout: Buffer.concat(stdout), stderr: errorText };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
