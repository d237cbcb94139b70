import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { ReleaseResult } from '../../src/shared/release';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let stack: E2EStack;
beforeAll(async () => {
  // One service whose repository cannot be fetched: the platform's mistake, found at admission.
  stack = await startE2EStack('input', {
    editConfig: (yaml) => yaml.replace('services:\n', 'services:\n  ghost:\n    repository: /nonexistent/ghost.git\n    build: "true"\n    test: { unit: "true", lint: "true" }\n    artifact: { include: [package.json] }\n    run: { command: "true" }\n    environments: { staging: {}, production: {} }\n'),
  });
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
    ['a commit that is neither a SHA nor a tag', args({ commit: 'has space' }), /--commit: "has space" is neither a git commit SHA/, base.version],
    ['an author with spaces', args({ author: 'bob smith' }), /--author: "bob smith" is not a user name/, base.version],
    ['a catalogue of the starter', args({}, ['--config', '/tmp/my-gantry.yaml']), /--config is not read by release start: the platform's catalogue/, base.version],
    ['a rollback without a reason', args({}, ['--rollback']), /--reason: is required with --rollback: say why the older version goes back/, base.version],
    ['a reason without --rollback', args({}, ['--reason', 'just because']), /--reason: is only read with --rollback/, base.version],
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

/**
 * What only the platform can judge (its catalogue, the service's repository) is answered
 * at once too: the start waits for the admission, so the starter gets exit 2 and the
 * reason, nothing is built, and the refused attempt stays on record as a release that
 * ended `refused` (who tried what). A refused version can be started again as it is.
 */
describe('refused at admission: exit code 2 with the reason, nothing built, the attempt recorded', () => {
  async function refusedRecord(service: string, version: string) {
    const handle = stack.client.workflow.getHandle(releaseWorkflowId(service, version));
    const failure = await handle.result().then(
      () => undefined,
      (err: WorkflowFailedError) => err.cause as ApplicationFailure,
    );
    const result = failure?.details?.[0] as ReleaseResult;
    expect(result.outcome).toBe('refused');
    expect(result.status?.timeline.map((t) => t.stage)).toEqual(['admission']);
    expect(result.status?.author).toBe('alice');
    return result;
  }

  test('a service the platform does not know, although the starter\'s own gantry.yaml declares it', async () => {
    const starterDir = mkdtempSync(path.join(os.tmpdir(), 'gantry-starter-'));
    writeFileSync(path.join(starterDir, 'gantry.yaml'), readFileSync(stack.configFile, 'utf8').replace('services:\n', 'services:\n  payments:\n    repository: ./web\n    build: "true"\n    test: { unit: "true", lint: "true" }\n    artifact: { include: [package.json] }\n    run: { command: "true" }\n    environments: { staging: {}, production: {} }\n'));
    const result = await stack.gantry(args({ service: 'payments', version: '9.8.1' }), { GANTRY_CONFIG: path.join(starterDir, 'gantry.yaml'), PWD: starterDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/payments 9\.8\.1 was not admitted: refused: the platform's catalogue \(.*, sha256:[0-9a-f]{64}\) does not know the service: .*unknown service "payments"/s);
    await refusedRecord('payments', '9.8.1');
  });

  test('a repository the worker cannot fetch (tried a few times first)', async () => {
    const result = await stack.gantry(args({ service: 'ghost', version: '9.8.4' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/ghost 9\.8\.4 was not admitted: refused: .*\/nonexistent\/ghost\.git/s);
    await refusedRecord('ghost', '9.8.4');
  });

  test('a branch name, which moves, instead of a commit or tag', async () => {
    const result = await stack.gantry(args({ commit: 'main', version: '9.8.2' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"main" is a branch of .*a release must name an immutable commit/);
    await refusedRecord('web', '9.8.2');
  });

  test('a commit that is not in the service\'s repository; then the right one is admitted under the same version', async () => {
    const missing = await stack.gantry(args({ commit: 'abcdef1234567', version: '9.8.3' }));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/abcdef1234567/);
    await refusedRecord('web', '9.8.3');

    const retried = await stack.gantry(args({ commit: stack.commit, version: '9.8.3' }, ['--json']));
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ how: 'started', admission: { admitted: true, commit: stack.commit } });
    await stack.gantry(['release', 'abort', 'web', '9.8.3', '--as', 'alice', '--reason', 'only checking admission']);
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
    expect(report.searchAttributes).toEqual({ checked: true, missing: [] });

    const secret = 'do-not-print-this-key';
    const down = await stack.gantry(['doctor'], { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_API_KEY: secret });
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/127\.0\.0\.1:1/);
    expect(down.stdout + down.stderr).not.toContain(secret);
  });

  test("a namespace without Gantry's search attributes is found before a release stalls on one (exit 1)", async () => {
    const namespace = `bare-${Date.now().toString(36)}`;
    await stack.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const bare = await stack.gantry(['doctor'], { TEMPORAL_NAMESPACE: namespace });
    expect(bare.code).toBe(1);
    expect(bare.stdout).toMatch(/Search attributes +missing GantryService, GantryVersion, GantryStage, GantryOutcome, GantryHold: releases that set them stall/);
    expect(bare.stdout).toMatch(/the namespace lacks Gantry's search attributes \(exit 1\)/);
  });
});
