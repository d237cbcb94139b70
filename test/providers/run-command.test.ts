import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCommandActivities } from '../../src/activities/run-command';
import type { CommandResult } from '../../src/activities/run-command';
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

  it('heartbeats with the last line while the command runs', async () => {
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    await env.run(runCommand, { label: 'slow', command: 'echo first; sleep 1.3; echo second', cwd: dir });
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats).toContain('first');
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
