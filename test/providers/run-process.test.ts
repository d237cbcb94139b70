import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { killProcessGroup, processStartTime } from '../../src/providers/process/process-group';
import { ProcessSpawnError, runProcess } from '../../src/providers/process/run-process';
import { groupMembers, isRunning, waitFor } from './support';

describe('runProcess', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-run-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('streams every line of stdout and stderr and keeps the tail', async () => {
    const lines: Array<[string, string]> = [];
    const result = await runProcess({
      command: 'for i in $(seq 1 40); do echo "out $i"; done; echo "err line" >&2; printf "no newline"',
      cwd: dir,
      onLine: (line, stream) => lines.push([stream, line]),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stoppedBy).toBeUndefined();
    expect(lines).toHaveLength(42);
    expect(lines[0]).toEqual(['stdout', 'out 1']);
    expect(lines).toContainEqual(['stderr', 'err line']);
    expect(lines).toContainEqual(['stdout', 'no newline']);
    expect(result.tail).toHaveLength(30);
    expect(result.tail).toContain('out 40');
    expect(result.tail).not.toContain('out 1');
  });

  it('passes the environment and working directory', async () => {
    const lines: string[] = [];
    await runProcess({ command: 'echo "$GREETING from $(pwd)"', cwd: dir, env: { GREETING: 'hello' }, onLine: (l) => lines.push(l) });
    expect(lines).toEqual([`hello from ${dir}`]);
  });

  it('reports a non-zero exit code as a result', async () => {
    const result = await runProcess({ command: 'echo before; exit 7', cwd: dir });
    expect(result).toMatchObject({ exitCode: 7, tail: ['before'] });
  });

  it('refuses a missing working directory with a clear message', async () => {
    const missing = path.join(dir, 'nope');
    await expect(runProcess({ command: 'true', cwd: missing })).rejects.toThrow(ProcessSpawnError);
    await expect(runProcess({ command: 'true', cwd: missing })).rejects.toThrow(`working directory ${missing} does not exist`);
  });

  it('stops the whole group on timeout', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const result = await runProcess({
      command: 'echo "pid $$"; sleep 300 & sleep 300',
      cwd: dir,
      timeoutMs: 500,
      onLine: (l) => lines.push(l),
    });
    expect(result.stoppedBy).toBe('timeout');
    expect(result.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(groupMembers(result.pid as number)).toEqual([]);
  });

  it('stops the whole group when aborted, with SIGKILL for what ignores SIGTERM', async () => {
    const controller = new AbortController();
    let sleeper = 0;
    const running = runProcess({
      command: `trap '' TERM; sleep 300 & echo "child $!"; wait`,
      cwd: dir,
      signal: controller.signal,
      killGraceMs: 300,
      onLine: (line) => {
        const match = /^child (\d+)$/.exec(line);
        if (match) sleeper = Number(match[1]);
      },
    });
    await waitFor(() => sleeper > 0);
    controller.abort();
    const result = await running;
    expect(result.stoppedBy).toBe('abort');
    expect(isRunning(sleeper)).toBe(false);
  });

  it('does not start anything when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runProcess({ command: 'echo should-not-run', cwd: dir, signal: controller.signal });
    expect(result).toMatchObject({ stoppedBy: 'abort', tail: [] });
    expect(result.pid).toBeUndefined();
  });

  it('stops background processes left behind when the shell exits', async () => {
    const result = await runProcess({ command: 'sleep 300 & echo started', cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(groupMembers(result.pid as number)).toEqual([]);
  });

  it('tells onSpawn the group id while the command runs', async () => {
    const seen: Array<{ pid: number; members: number[] }> = [];
    const result = await runProcess({
      command: 'sleep 0.2; echo "pid $$"',
      cwd: dir,
      onSpawn: (pid) => seen.push({ pid, members: groupMembers(pid) }),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].pid).toBe(result.pid);
    expect(result.tail).toEqual([`pid ${result.pid}`]);
    expect(seen[0].members).toContain(result.pid);
  });

  it('stops the group and rejects when onSpawn throws', async () => {
    let pid = 0;
    const running = runProcess({
      command: 'sleep 300 & sleep 300',
      cwd: dir,
      killGraceMs: 200,
      onSpawn: (p) => {
        pid = p;
        throw new Error('cannot record it');
      },
    });
    await expect(running).rejects.toThrow('cannot record it');
    expect(groupMembers(pid)).toEqual([]);
  });
});

describe('processStartTime', () => {
  (existsSync('/proc/self/stat') ? it : it.skip)('is fixed for a running process and undefined once it is gone', async () => {
    const result = await runProcess({ command: 'true', cwd: os.tmpdir() });
    expect(processStartTime(process.pid)).toEqual(expect.any(Number));
    expect(processStartTime(process.pid)).toBe(processStartTime(process.pid));
    expect(processStartTime(result.pid as number)).toBeUndefined();
  });
});

describe('killProcessGroup', () => {
  it('refuses pids that would signal more than one started group', async () => {
    await expect(killProcessGroup(0)).rejects.toThrow('refusing to signal pid 0');
    await expect(killProcessGroup(1)).rejects.toThrow('refusing to signal pid 1');
  });

  it('is a no-op for a group that is gone', async () => {
    const result = await runProcess({ command: 'true', cwd: os.tmpdir() });
    await expect(killProcessGroup(result.pid as number)).resolves.toBeUndefined();
  });
});
