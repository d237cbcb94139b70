import { execFileSync } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProcess } from '../../src/providers/process/run-process';

/** Pids of every process in a process group, read from `ps` rather than from the code under test. */
export function groupMembers(pgid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((row) => row.trim().split(/\s+/).map(Number))
    .filter(([pid, group]) => group === pgid && pid > 0)
    .map(([pid]) => pid);
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
