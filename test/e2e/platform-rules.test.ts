import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { commandLines } from '../support/command-lines';
import { eventually, startE2EStack, type E2EStack } from '../support/e2e-stack';
import { git } from '../support/e2e-workspace';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * The platform owns the rules: the worker enforces its own catalogue (reloaded when it
 * changes, the last good one kept when a change is broken), whatever the starter has on
 * disk, and every release builds a clean checkout of the commit it names. Real CLI, real
 * dev server, real git repositories made by the test.
 */

/** The example service without approval, so releases run to their end by themselves. */
const QUICK = 'quick';
/** The example service whose build leaves a copy of its environment in the artifact. */
const ENV_PRINTER = 'envprint';

function withExtraServices(text: string): string {
  const doc = YAML.parse(text);
  const web = doc.services.web;
  doc.services[QUICK] = { ...web, approval: { approvers: [], minApprovals: 0 } };
  doc.services[ENV_PRINTER] = { ...web, build: 'node build.js && env > dist/build-env.txt', approval: { approvers: [], minApprovals: 0 } };
  return YAML.stringify(doc);
}

let stack: E2EStack;
beforeAll(async () => {
  stack = await startE2EStack('platform', { editConfig: withExtraServices });
});
afterAll(async () => {
  await stack?.stop();
});

const start = (service: string, version: string, commit: string, extra: string[] = []) =>
  stack.gantry(['release', 'start', '--service', service, '--version', version, '--commit', commit, '--author', 'alice', ...extra]);

const status = (service: string, version: string) => stack.client.workflow.getHandle(releaseWorkflowId(service, version)).query(statusQuery);

async function reaches(service: string, version: string, check: (s: ReleaseStatus) => boolean): Promise<ReleaseStatus> {
  return eventually(`${service} ${version} to reach the expected state`, async () => {
    const s = await status(service, version);
    return check(s) ? s : undefined;
  }, 120_000);
}

/** Edits the platform's catalogue file the worker loads (as a merged change would). */
function editPlatformCatalogue(edit: (doc: Record<string, any>) => void): void { // eslint-disable-line @typescript-eslint/no-explicit-any -- YAML documents are untyped
  const doc = YAML.parse(readFileSync(stack.configFile, 'utf8'));
  edit(doc);
  writeFileSync(stack.configFile, YAML.stringify(doc));
}

async function catalogueShow(...args: string[]) {
  const shown = await stack.gantry(['catalogue', 'show', ...args, '--json']);
  expect(shown.code).toBe(0);
  return JSON.parse(shown.stdout);
}

describe('the platform owns the rules', () => {
  test("a starter's own gantry.yaml with minApprovals: 0 does not lower the platform's rule", async () => {
    const starterDir = mkdtempSync(path.join(os.tmpdir(), 'gantry-starter-'));
    const starterFile = path.join(starterDir, 'gantry.yaml');
    const lowered = YAML.parse(readFileSync(stack.configFile, 'utf8'));
    lowered.services.web.approval = { approvers: [], minApprovals: 0 };
    writeFileSync(starterFile, YAML.stringify(lowered));
    const starter = commandLines(starterDir, { ...stack.env, GANTRY_CONFIG: starterFile, GANTRY_CATALOGUE: starterFile }, stack.address);

    const started = await starter.gantry(['release', 'start', '--service', 'web', '--version', '5.0.0', '--commit', stack.commit, '--author', 'alice', '--json']);
    expect(started.code).toBe(0);
    const waiting = await reaches('web', '5.0.0', (s) => s.stage === 'approval');
    expect(waiting.approvalsRequired).toBe(1);
    expect(waiting.definition?.approval).toMatchObject({ approvers: ['alice', 'bob'], minApprovals: 1 });
    expect(waiting.catalogue?.digest).toBe((await catalogueShow()).inForce.digest);
    expect(waiting.catalogue?.source).toBe(stack.configFile);
    await stack.gantry(['release', 'abort', 'web', '5.0.0', '--as', 'alice', '--reason', 'done checking']);
  }, 300_000);

  test('a catalogue change is enforced for new releases while a running one keeps the definition it was admitted with', async () => {
    const before = await catalogueShow('web');
    expect((await start('web', '5.1.0', stack.commit)).code).toBe(0);
    await reaches('web', '5.1.0', (s) => s.stage === 'approval');

    editPlatformCatalogue((doc) => {
      doc.services.web.approval = { approvers: ['alice', 'bob', 'carol'], minApprovals: 2, timeout: '24h' };
    });
    const after = await catalogueShow('web');
    expect(after.inForce.digest).not.toBe(before.inForce.digest);
    expect(after.inForce.services.web.definition.approval).toMatchObject({ minApprovals: 2 });

    // The running release keeps its snapshot: one approval still ships it.
    const older = await status('web', '5.1.0');
    expect(older.approvalsRequired).toBe(1);
    expect(older.catalogue?.digest).toBe(before.inForce.digest);
    const approved = await stack.gantry(['release', 'approve', 'web', '5.1.0', '--as', 'bob']);
    expect(approved.stdout).toMatch(/approved by bob \(1 of 1\)/);
    await reaches('web', '5.1.0', (s) => s.outcome === 'succeeded');

    // A release admitted after the change follows it.
    expect((await start('web', '5.2.0', stack.commit)).code).toBe(0);
    const newer = await reaches('web', '5.2.0', (s) => s.stage === 'approval');
    expect(newer.approvalsRequired).toBe(2);
    expect(newer.catalogue?.digest).toBe(after.inForce.digest);
    await stack.gantry(['release', 'abort', 'web', '5.2.0', '--as', 'alice', '--reason', 'done checking']);
  }, 300_000);

  test('a catalogue change that does not validate is refused; the last good one stays in force and doctor says so', async () => {
    const good = await catalogueShow();
    editPlatformCatalogue((doc) => {
      doc.services.web.approval.minApprovals = 'two';
    });
    const shown = await catalogueShow();
    expect(shown.inForce.digest).toBe(good.inForce.digest);
    expect(shown.lastError.message).toMatch(/services\.web\.approval\.minApprovals/);
    const text = await stack.gantry(['catalogue', 'show']);
    expect(text.stdout).toMatch(/The last change was refused .*; the catalogue above stays in force/);

    const doctor = JSON.parse((await stack.gantry(['doctor', '--json'])).stdout);
    expect(doctor.catalogue).toMatchObject({ answered: true, digest: good.inForce.digest, lastError: { message: expect.stringMatching(/minApprovals/) } });

    // Releases are still admitted, under the last good catalogue.
    const started = await start(QUICK, '5.3.0', stack.commit, ['--json']);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout).admission.catalogueDigest).toBe(good.inForce.digest);
    editPlatformCatalogue((doc) => {
      doc.services.web.approval.minApprovals = 2;
    });
    expect((await catalogueShow()).lastError).toBeUndefined();
    await reaches(QUICK, '5.3.0', (s) => s.outcome !== undefined);
  }, 300_000);

  test('a commit that breaks the unit tests fails its release; the next commit passes; a tag resolves to its commit', async () => {
    const broken = stack.commitFiles({ 'test/broken.test.js': "require('node:test')('is broken', () => { throw new Error('broken on purpose'); });\n" }, 'Break a unit test');
    const failed = await start(QUICK, '5.4.0', broken.slice(0, 10), ['--wait', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/unit tests/) });

    const fixed = stack.commitFiles({ 'test/broken.test.js': "require('node:test')('is fixed', () => {});\n" }, 'Fix the unit test');
    git(stack.repository, ['tag', 'v5.5.0']);
    const passed = await start(QUICK, '5.5.0', 'v5.5.0', ['--wait', '--json']);
    expect(passed.code).toBe(0);
    const result = JSON.parse(passed.stdout);
    expect(result.outcome).toBe('succeeded');
    expect(result.status.source).toMatchObject({ requested: 'v5.5.0', commit: fixed, repository: stack.repository });
  }, 300_000);

  test('a release started from another directory builds the commit, not the files on disk; its provenance names the commit', async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'gantry-ci-runner-'));
    const { GANTRY_CONFIG: _unused, ...runnerEnv } = stack.env;
    const runner = commandLines(elsewhere, runnerEnv, stack.address);
    // An uncommitted change that would fail the tests: only the commit may be built.
    writeFileSync(path.join(stack.repository, 'test', 'uncommitted.test.js'), "require('node:test')('uncommitted', () => { throw new Error('not committed'); });\n");
    const head = git(stack.repository, ['rev-parse', 'HEAD']);

    const released = await runner.gantry(['release', 'start', '--service', QUICK, '--version', '5.6.0', '--commit', head, '--author', 'alice', '--wait', '--json']);
    expect(released.code).toBe(0);
    const result = JSON.parse(released.stdout);
    expect(result.outcome).toBe('succeeded');

    const shown = await runner.gantry(['artifact', 'show', QUICK, '5.6.0', '--json']);
    expect(shown.code).toBe(0);
    const { artifact, provenance } = JSON.parse(shown.stdout);
    expect(provenance._type).toBe('https://in-toto.io/Statement/v1');
    expect(provenance.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(provenance.subject[0].digest.sha256).toBe(artifact.digest.replace('sha256:', ''));
    expect(provenance.predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit).toBe(head);
    expect(provenance.predicate.buildDefinition.internalParameters.catalogue.digest).toBe(result.status.catalogue.digest);
    expect(provenance.predicate.buildDefinition.internalParameters.commands.map((c: { label: string }) => c.label)).toEqual(['build', 'unit tests', 'integration tests', 'lint']);
    // Written beside the artifact too, and the release's checkout is gone.
    const beside = JSON.parse(readFileSync(path.join(stack.home, 'artifacts', QUICK, '5.6.0.intoto.json'), 'utf8'));
    expect(beside).toEqual(provenance);
    const workspaces = existsSync(path.join(stack.home, 'workspaces')) ? readdirSync(path.join(stack.home, 'workspaces')) : [];
    expect(workspaces.filter((name) => name.startsWith(`release_${QUICK}_5.6.0_`))).toEqual([]);

    const text = await runner.gantry(['artifact', 'show', QUICK, '5.6.0']);
    expect(text.stdout).toContain(head);
  }, 300_000);

  test('a build that prints its environment shows no credential of the worker', async () => {
    const secrets = { TEMPORAL_API_KEY: 'tk-worker-secret-0001', DATABASE_URL: 'postgres://gantry:db-secret-0002@db/gantry' };
    const saved = { TEMPORAL_API_KEY: process.env.TEMPORAL_API_KEY, DATABASE_URL: process.env.DATABASE_URL };
    Object.assign(process.env, secrets); // the worker runs in this process
    try {
      const released = await start(ENV_PRINTER, '5.7.0', stack.commit, ['--wait', '--json']);
      expect(released.code).toBe(0);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const printed = findFiles(path.join(stack.home, 'runtime', ENV_PRINTER), 'build-env.txt');
    expect(printed.length).toBeGreaterThan(0);
    const environment = readFileSync(printed[0], 'utf8');
    expect(environment).toMatch(/^GANTRY_VERSION=5\.7\.0$/m);
    expect(environment).toMatch(/^PATH=/m);
    for (const secret of Object.values(secrets)) expect(environment).not.toContain(secret);
    expect(environment).not.toMatch(/^TEMPORAL_/m);
  }, 300_000);
});

function findFiles(dir: string, name: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return findFiles(full, name);
    return entry === name ? [full] : [];
  });
}
