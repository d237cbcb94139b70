import { WorkflowNotFoundError } from '@temporalio/client';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
beforeAll(async () => {
  stack = await startE2EStack('input');
});
afterAll(async () => {
  await stack?.stop();
});

const base = { service: 'web', version: '9.9.9', commit: 'abcdef1234567', author: 'alice' };
const args = (over: Partial<typeof base> = {}, extra: string[] = []) => {
  const r = { ...base, ...over };
  return ['release', 'start', '--service', r.service, '--version', r.version, '--commit', r.commit, '--author', r.author, ...extra];
};

async function neverStarted(service: string, version: string): Promise<void> {
  await expect(stack.client.workflow.getHandle(releaseWorkflowId(service, version)).describe()).rejects.toThrow(WorkflowNotFoundError);
}

describe('bad input to the gantry CLI: exit code 2, a message naming the field, nothing started', () => {
  test.each([
    ['a version that is not semantic', args({ version: '9.9' }), /--version: "9\.9" is not a semantic version/, '9.9'],
    ['a commit that is not a SHA', args({ commit: 'main' }), /--commit: "main" is not a git commit SHA/, base.version],
    ['an author with spaces', args({ author: 'bob smith' }), /--author: "bob smith" is not a user name/, base.version],
    ['an unknown service', args({ service: 'payments' }), /payments/, base.version],
    ['a missing config file', args({}, ['--config', '/nonexistent/gantry.yaml']), /\/nonexistent\/gantry\.yaml/, base.version],
  ])('%s', async (_name, argv, message, version) => {
    const result = await stack.gantry(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    await neverStarted(argv[argv.indexOf('--service') + 1], version);
  });

  test('a missing required option', async () => {
    const result = await stack.gantry(['release', 'start', '--service', 'web', '--version', '1.0.0', '--commit', 'abcdef1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/required option '--author <who>' not specified/);
  });

  test('steering a release that does not exist', async () => {
    const result = await stack.gantry(['release', 'approve', 'web', '7.7.7', '--as', 'bob']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no release of web 7\.7\.7 exists/);
  });

  test('an abort without a reason', async () => {
    const result = await stack.gantry(['release', 'abort', 'web', '7.7.7', '--as', 'bob']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/an abort needs a reason: add --reason/);
  });

  test('a bad --limit', async () => {
    const result = await stack.gantry(['release', 'list', '--limit', 'many']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--limit must be a positive whole number/);
  });

  test('an unreachable Temporal is exit code 3 and names the address', async () => {
    const result = await stack.gantry(args({ version: '9.9.8' }), { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
  });
});

describe('gantry doctor', () => {
  test('reports binaries and connection settings without the API key, and whether the server answers', async () => {
    const ok = await stack.gantry(['doctor', '--json'], { TEMPORAL_API_KEY: undefined });
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout);
    expect(report.temporalCli).toMatchObject({ ok: true, version: expect.stringMatching(/1\.9\.1/) });
    expect(report.connection).toMatchObject({ ok: true, address: stack.address, namespace: 'default', apiKey: false });
    expect(report.server).toMatchObject({ reachable: true });

    const secret = 'do-not-print-this-key';
    const down = await stack.gantry(['doctor'], { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: secret });
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/127\.0\.0\.1:1/);
    expect(down.stdout + down.stderr).not.toContain(secret);
  });
});
