import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCommandActivities } from '../../src/activities/run-command';
import type { CommandHeartbeat, CommandResult } from '../../src/activities/run-command';
import { RecordingLogger, groupMembers, isRunning, waitFor } from './support';

const { runCommand } = createCommandActivities();

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('runCommand activity', () => {
  let dir: string;
  let logger: RecordingLogger;
  let env: MockActivityEnvironment;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-cmd-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(() => {
    logger = new RecordingLogger();
    env = new MockActivityEnvironment(undefined, { logger });
  });

  it('streams each line to the activity log with its label and returns the tail', async () => {
    const result: CommandResult = await env.run(runCommand, {
      label: 'build',
      command: 'for i in $(seq 1 35); do echo "step $i"; done; echo "$GANTRY_VERSION"',
      cwd: dir,
      env: { GANTRY_VERSION: '1.4.0' },
    });
    expect(result.label).toBe('build');
    expect(result.exitCode).toBe(0);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.tail).toHaveLength(30);
    expect(result.tail[29]).toBe('1.4.0');
    const streamed = logger.entries.filter((e) => e.meta?.label === 'build');
    expect(streamed.map((e) => e.message)).toEqual([...Array.from({ length: 35 }, (_, i) => `step ${i + 1}`), '1.4.0']);
    expect(streamed.every((e) => e.level === 'INFO' && e.meta?.stream === 'stdout')).toBe(true);
  });

  it("gives the command a minimal environment: never the worker's Temporal credentials, only the variables the service names", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { TEMPORAL_API_KEY: 'worker-secret-key', DATABASE_URL: 'postgres://worker:pw@db/prod', NPM_TOKEN: 'npm-token' });
    try {
      await env.run(runCommand, { label: 'print env', command: 'env | sort', cwd: dir, env: { GANTRY_VERSION: '1.4.0' }, passEnv: ['NPM_TOKEN', 'TEMPORAL_API_KEY'] });
    } finally {
      for (const name of ['TEMPORAL_API_KEY', 'DATABASE_URL', 'NPM_TOKEN']) if (!(name in saved)) delete process.env[name];
    }
    const printed = logger.entries.filter((e) => e.meta?.label === 'print env').map((e) => e.message);
    const names = printed.map((line) => line.split('=')[0]);
    expect(printed.join('\n')).not.toContain('worker-secret-key');
    expect(printed.join('\n')).not.toContain('postgres://');
    expect(names).toEqual(expect.arrayContaining(['PATH', 'GANTRY_VERSION', 'NPM_TOKEN']));
    expect(names).not.toContain('TEMPORAL_API_KEY');
    expect(names).not.toContain('DATABASE_URL');
  });

  it('heartbeats the process group and the last line while the command runs', async () => {
    const beats: CommandHeartbeat[] = [];
    env.on('heartbeat', (details: CommandHeartbeat) => beats.push({ ...details }));
    await env.run(runCommand, { label: 'slow', command: 'echo "pid $$"; echo first; sleep 1.3; echo second', cwd: dir });
    expect(beats.length).toBeGreaterThanOrEqual(2);
    const shell = Number(logger.entries.find((e) => e.message.startsWith('pid '))?.message.slice(4));
    expect(beats[0]).toMatchObject({ pgid: shell, host: os.hostname(), lastLine: '' });
    expect(beats).toContainEqual(expect.objectContaining({ pgid: shell, lastLine: 'first' }));
  });

  it('fails a non-zero exit as a non-retryable CommandFailed with exit code and tail', async () => {
    const failure = await failureOf(
      env.run(runCommand, { label: 'unit tests', command: 'echo "1 failing"; echo "expected 2" >&2; exit 3', cwd: dir }),
    );
    expect(failure.type).toBe('CommandFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('unit tests failed: `echo "1 failing"; echo "expected 2" >&2; exit 3` exited with code 3');
    expect(failure.details).toEqual([{ exitCode: 3, tail: ['1 failing', 'expected 2'] }]);
  });

  it('fails a missing working directory as a non-retryable CommandFailed that says so', async () => {
    const missing = path.join(dir, 'no-such-dir');
    const failure = await failureOf(env.run(runCommand, { label: 'lint', command: 'true', cwd: missing }));
    expect(failure.type).toBe('CommandFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`working directory ${missing} does not exist`);
  });

  it('stops a command that outlives timeoutMs and fails with CommandTimedOut', async () => {
    const failure = await failureOf(
      env.run(runCommand, { label: 'integration tests', command: 'echo waiting; sleep 300', cwd: dir, timeoutMs: 300 }),
    );
    expect(failure.type).toBe('CommandTimedOut');
    expect(failure.message).toContain('integration tests timed out after 300 ms');
    expect(failure.details).toEqual([{ timeoutMs: 300, tail: ['waiting'] }]);
  });

  it('kills the whole process group when cancelled and rethrows the cancellation', async () => {
    let shell = 0;
    env.on('heartbeat', () => undefined);
    const running = env.run(runCommand, { label: 'build', command: 'echo "pid $$"; sleep 300 & sleep 300', cwd: dir });
    await waitFor(() => {
      const line = logger.entries.find((e) => e.message.startsWith('pid '));
      if (line) shell = Number(line.message.slice(4));
      return shell > 0 && groupMembers(shell).length >= 3;
    });
    const children = groupMembers(shell).filter((pid) => pid !== shell);
    expect(children.length).toBeGreaterThanOrEqual(2);

    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    for (const pid of [shell, ...children]) expect(isRunning(pid)).toBe(false);
  });
});

/**
 * A retry after a worker died: Temporal gives the new attempt the last heartbeat details
 * the lost one sent (`info.heartbeatDetails`), and the lost attempt's command, detached in
 * its own process group, is still running. MockActivityEnvironment takes that info as it is.
 */
describe('runCommand on a retry', () => {
  let dir: string;
  let logger: RecordingLogger;
  const spawned: number[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-cmd-retry-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  beforeEach(() => {
    logger = new RecordingLogger();
  });
  afterEach(() => {
    // A failing test must not leave 30-second sleepers behind for the next one.
    for (const pgid of spawned.splice(0)) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone, as it should be.
      }
    }
  });

  /** A detached group like the one a lost attempt leaves behind: a shell and a background child. */
  async function leftoverGroup(): Promise<number> {
    const child = spawn('sh', ['-c', 'sleep 30 & sleep 30'], { cwd: dir, detached: true, stdio: 'ignore' });
    child.unref();
    const pgid = child.pid as number;
    spawned.push(pgid);
    await waitFor(() => groupMembers(pgid).length >= 2);
    return pgid;
  }

  function retryWith(heartbeatDetails: unknown): MockActivityEnvironment {
    return new MockActivityEnvironment({ attempt: 2, heartbeatDetails }, { logger });
  }

  /** The retry's own command says how much of the leftover group still runs when it starts, read by `ps`. */
  const reportLeftover = (pgid: number) =>
    `echo "leftover running: $(ps -e -o pgid=,stat= | awk -v g=${pgid} '$1 == g && $2 !~ /^Z/' | wc -l | tr -d ' ')"; echo built`;

  const warnings = () => logger.entries.filter((e) => e.level === 'WARN');

  it('stops the group the lost attempt left running before running the command again', async () => {
    const pgid = await leftoverGroup();
    const env = retryWith({ pgid, host: os.hostname(), lastLine: 'compiling' });
    const result: CommandResult = await env.run(runCommand, { label: 'build', command: reportLeftover(pgid), cwd: dir });

    expect(result.exitCode).toBe(0);
    expect(result.tail).toEqual(['leftover running: 0', 'built']);
    expect(groupMembers(pgid)).toEqual([]);
    expect(warnings()).toEqual([
      {
        level: 'WARN',
        message: `stopping process group ${pgid} left running by the previous attempt of build`,
        meta: expect.objectContaining({ label: 'build', pgid }),
      },
    ]);
  });

  it('stops a group named by the details a real attempt heartbeated, which stay small', async () => {
    const first = new MockActivityEnvironment(undefined, { logger: new RecordingLogger() });
    let details: CommandHeartbeat | undefined;
    first.on('heartbeat', (d: CommandHeartbeat) => {
      details = { ...d };
    });
    // A minified bundle's single line, then a long step: the attempt whose worker dies.
    const lost = first
      .run(runCommand, { label: 'build', command: "printf '%0100000d\\n' 0; sleep 30", cwd: dir })
      .catch((err: unknown) => err);
    await waitFor(() => (details?.lastLine ?? '') !== '');
    const recorded = details as CommandHeartbeat;
    spawned.push(recorded.pgid);
    expect(recorded.lastLine).toBe('0'.repeat(200));
    expect(JSON.stringify(recorded).length).toBeLessThan(300);
    expect(recorded.started).toEqual(expect.any(Number));
    expect(groupMembers(recorded.pgid).length).toBeGreaterThanOrEqual(1);

    const result: CommandResult = await retryWith(recorded).run(runCommand, { label: 'build', command: reportLeftover(recorded.pgid), cwd: dir });
    expect(result.tail).toEqual(['leftover running: 0', 'built']);
    expect(groupMembers(recorded.pgid)).toEqual([]);
    expect(warnings()).toHaveLength(1);
    // The lost attempt sees its command killed, as its worker would have had it lived.
    expect(await lost).toBeInstanceOf(ApplicationFailure);
  });

  it('runs normally with details from older code, which name no group', async () => {
    const unrelated = await leftoverGroup();
    const env = retryWith('compiling');
    const result: CommandResult = await env.run(runCommand, { label: 'build', command: 'echo built', cwd: dir });
    expect(result.tail).toEqual(['built']);
    expect(warnings()).toEqual([]);
    expect(groupMembers(unrelated).length).toBeGreaterThanOrEqual(2);
  });

  it('runs normally when the recorded group has already ended', async () => {
    const child = spawn('sh', ['-c', 'exit 0'], { detached: true, stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    const pgid = child.pid as number;
    expect(isRunning(pgid)).toBe(false);

    const env = retryWith({ pgid, host: os.hostname(), lastLine: 'compiling' });
    const result: CommandResult = await env.run(runCommand, { label: 'build', command: 'echo built', cwd: dir });
    expect(result).toMatchObject({ exitCode: 0, tail: ['built'] });
    expect(warnings()).toEqual([]);
  });

  it('leaves a group recorded on another host alone and says so', async () => {
    const pgid = await leftoverGroup();
    const env = retryWith({ pgid, host: 'other-worker.invalid', lastLine: 'compiling' });
    const result: CommandResult = await env.run(runCommand, { label: 'build', command: 'echo built', cwd: dir });
    expect(result.tail).toEqual(['built']);
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0].message).toContain('other-worker.invalid');
  });

  // Start times come from /proc (Linux, where the local runtime and CI run).
  it('leaves a group alone whose leader started at another time (a reused pid)', async () => {
    const pgid = await leftoverGroup();
    const env = retryWith({ pgid, host: os.hostname(), started: 1, lastLine: 'compiling' });
    const result: CommandResult = await env.run(runCommand, { label: 'build', command: 'echo built', cwd: dir });
    expect(result.tail).toEqual(['built']);
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(2);
    expect(warnings()).toEqual([]);
  });
});
