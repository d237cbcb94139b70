import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { eventually, exampleServiceAs, startE2EStack, type CommandResult, type E2EStack } from '../support/e2e-stack';
import { releaseAndWait } from '../support/traffic';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Messages that arrive after a release has ended: every steering command of the `gantry`
 * CLI answers exit 2 and names the release's outcome (never a stack trace), and the same
 * messages sent with the plain `temporal` CLI are refused by the server and change nothing.
 */
const SERVICE = 'late';
let stack: E2EStack;
beforeAll(async () => {
  // Production all at once and no approval: a release runs to its end with nobody in the loop.
  stack = await startE2EStack('late', { editConfig: exampleServiceAs(SERVICE, { target: 'local', strategy: 'allAtOnce' }) });
});
afterAll(async () => {
  await stack?.stop();
});

/** Every steering command, with the flags each one requires. */
const STEERING_COMMANDS: { name: string; args: string[] }[] = [
  { name: 'approve', args: ['approve', '--as', 'bob', '--comment', 'too late'] },
  { name: 'reject', args: ['reject', '--as', 'bob', '--reason', 'too late'] },
  { name: 'abort', args: ['abort', '--as', 'carol', '--reason', 'too late'] },
  { name: 'pause', args: ['pause', '--as', 'carol', '--reason', 'too late'] },
  { name: 'resume', args: ['resume', '--as', 'carol'] },
  { name: 'promote', args: ['promote', '--as', 'carol', '--reason', 'too late'] },
  { name: 'promote --full', args: ['promote', '--as', 'carol', '--reason', 'too late', '--full'] },
  { name: 'rollback', args: ['rollback', '--as', 'carol', '--reason', 'too late'] },
];

/** The same messages as the plain `temporal` CLI sends them (update or signal payloads). */
const TEMPORAL_MESSAGES: { name: string; input: Record<string, unknown> }[] = [
  { name: 'approve', input: { by: 'bob' } },
  { name: 'reject', input: { by: 'bob', reason: 'too late' } },
  { name: 'abort', input: { by: 'carol', reason: 'too late' } },
  { name: 'pause', input: { by: 'carol', reason: 'too late' } },
  { name: 'resume', input: { by: 'carol' } },
  { name: 'promote', input: { by: 'carol', reason: 'too late', full: true } },
  { name: 'rollback', input: { by: 'carol', reason: 'too late' } },
];

/** `gantry release <command> late <version> …` with the command's own arguments placed after the release. */
function steer(version: string, [command, ...flags]: string[], extra: string[] = []): Promise<CommandResult> {
  return stack.gantry(['release', command!, SERVICE, version, ...flags, ...extra]);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function expectNoStackTrace(result: CommandResult): void {
  expect(result.stdout).not.toContain('    at ');
  expect(result.stderr).not.toContain('    at ');
  expect(result.stderr).not.toMatch(/WorkflowNotFoundError/);
}

async function describeRelease(version: string) {
  return stack.client.workflow.getHandle(releaseWorkflowId(SERVICE, version)).describe();
}

async function outcomeFromStatus(version: string): Promise<string | undefined> {
  const status = await stack.gantry(['release', 'status', SERVICE, version, '--json']);
  expect(status.code).toBe(0);
  return JSON.parse(status.stdout).outcome;
}

describe('messages to a release that succeeded', () => {
  const version = '1.0.0';
  beforeAll(async () => {
    const released = await releaseAndWait(stack, SERVICE, version);
    expect(released.code).toBe(0);
    expect(released.doc.outcome).toBe('succeeded');
  }, 180_000);

  test.each(STEERING_COMMANDS)('gantry release $name: exit 2, the outcome on stderr, no stack trace', async ({ args }) => {
    const result = await steer(version, args);
    expectNoStackTrace(result);
    expect(result.stderr).toMatch(new RegExp(`^gantry: release late ${escape(version)} already ended: succeeded\\n$`));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(2);
  });

  test.each(STEERING_COMMANDS)('gantry release $name --json: exit 2 and a refusal document', async ({ args }) => {
    const result = await steer(version, args, ['--json']);
    expectNoStackTrace(result);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      accepted: false,
      outcome: 'succeeded',
      message: `release late ${version} already ended: succeeded`,
    });
  });

  test('the plain temporal CLI: every update and signal is refused by the server, and the release is unchanged', async () => {
    const workflowId = releaseWorkflowId(SERVICE, version);
    const before = await describeRelease(version);
    expect(before.status.name).toBe('COMPLETED');

    // Each message as the server answered it, so a failure names the message that got through.
    const answers: { message: string; code: number; stderr: string }[] = [];
    for (const { name, input } of TEMPORAL_MESSAGES) {
      const payload = JSON.stringify(input);
      const update = await stack.temporal(['workflow', 'update', 'execute', '-w', workflowId, '--name', name, '--input', payload]);
      answers.push({ message: `update ${name}`, code: update.code, stderr: update.stderr });
      const signal = await stack.temporal(['workflow', 'signal', '-w', workflowId, '--name', name, '--input', payload]);
      answers.push({ message: `signal ${name}`, code: signal.code, stderr: signal.stderr });
    }
    expect(answers.filter((a) => a.code === 0).map((a) => a.message)).toEqual([]);
    expect(answers.filter((a) => !/already completed/.test(a.stderr)).map((a) => `${a.message}: ${a.stderr}`)).toEqual([]);

    const after = await describeRelease(version);
    expect(after.status.name).toBe('COMPLETED');
    expect(after.runId).toBe(before.runId);
    // Nothing reached the closed run: not one event was added to its history.
    expect(after.historyLength).toBe(before.historyLength);
    expect(await outcomeFromStatus(version)).toBe('succeeded');
  }, 180_000);
});

describe('messages to a release that ended unsuccessfully', () => {
  const version = '1.0.1';
  const abortReason = 'aborted by carol: superseded by 1.0.2';
  beforeAll(async () => {
    const start = await stack.gantry(['release', 'start', '--service', SERVICE, '--version', version, '--commit', stack.commit, '--author', 'alice', '--json']);
    expect(start.code).toBe(0);
    // Aborted while it builds: the build of the example service takes seconds.
    const abort = await steer(version, ['abort', '--as', 'carol', '--reason', 'superseded by 1.0.2']);
    expect(abort.stderr).toBe('');
    expect(abort.code).toBe(0);
    await eventually('the aborted release to end', async () => ((await describeRelease(version)).status.name === 'RUNNING' ? undefined : true));
  }, 180_000);

  test.each(STEERING_COMMANDS)('gantry release $name: exit 2 naming the outcome and its reason', async ({ args }) => {
    const result = await steer(version, args);
    expectNoStackTrace(result);
    expect(result.stderr).toBe(`gantry: release late ${version} already ended: aborted (${abortReason})\n`);
    expect(result.code).toBe(2);
  });

  test('--json carries the outcome and the reason', async () => {
    const result = await steer(version, ['rollback', '--as', 'carol', '--reason', 'too late', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      accepted: false,
      outcome: 'aborted',
      reason: abortReason,
      message: `release late ${version} already ended: aborted (${abortReason})`,
    });
    expect((await describeRelease(version)).status.name).toBe('FAILED');
    expect(await outcomeFromStatus(version)).toBe('aborted');
  });
});

test('a steering command for a release that never existed: exit 2, no stack trace', async () => {
  for (const { args } of STEERING_COMMANDS) {
    const result = await steer('9.9.9', args);
    expectNoStackTrace(result);
    expect(result.stderr).toMatch(/^gantry: no release of late 9\.9\.9 exists; start one with `gantry release start --service late --version 9\.9\.9/);
    expect(result.code).toBe(2);
  }
}, 120_000);
