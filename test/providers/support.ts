import { execFileSync } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { runProcess } from '../../src/providers/process/run-process';

/**
 * Pids of the processes of a group that have not exited, read from `ps` rather than
 * from the code under test. Zombies (state Z) are dead; they linger only until pid 1
 * reaps them, which in some containers takes a second or two.
 */
export function groupMembers(pgid: number): number[] {
  return processTable()
    .filter((row) => row.pgid === pgid && !row.state.startsWith('Z'))
    .map((row) => row.pid);
}

/** `process.kill(pid, 0)` finds the process and it is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return processTable().some((row) => row.pid === pid && !row.state.startsWith('Z'));
}

function processTable(): Array<{ pid: number; pgid: number; state: string }> {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .split('\n')
    .map((row) => row.trim().split(/\s+/))
    .filter((fields) => fields.length >= 3)
    .map(([pid, pgid, state]) => ({ pid: Number(pid), pgid: Number(pgid), state }));
}

export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export const EXAMPLE_WEB = path.resolve(__dirname, '../../examples/web');

/** A private copy of the example service, built for `version` the way the release workflow builds it. */
export async function buildExampleCopy(version: string): Promise<string> {
  const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'gantry-web-')), 'web');
  await cp(EXAMPLE_WEB, dir, { recursive: true, filter: (source) => path.relative(EXAMPLE_WEB, source).split(path.sep)[0] !== 'dist' });
  const result = await runProcess({ command: 'node build.js', cwd: dir, env: { GANTRY_VERSION: version } });
  if (result.exitCode !== 0) throw new Error(`building the example failed:\n${result.tail.join('\n')}`);
  return dir;
}

/** Keeps what activities log, so tests can read it and the test output stays quiet. */
export class RecordingLogger implements Logger {
  readonly entries: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.entries.push({ level, message, meta });
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
