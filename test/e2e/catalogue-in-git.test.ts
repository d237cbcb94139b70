import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { sharedServerAddress } from '../support/e2e-stack';
import { commandLines, type CommandResult } from '../support/command-lines';
import { createE2EWorkspace, git } from '../support/e2e-workspace';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * A platform team keeps the catalogue in a git repository and changes it by merge: the
 * worker (`gantry worker`, a real process) reads it at a ref, follows new commits on
 * that ref, keeps the last good catalogue when a commit breaks it, and refuses to start
 * on a ref that does not exist.
 */

const GANTRY_BIN = path.resolve(__dirname, '..', '..', 'bin', 'gantry.js');

/** Runs `gantry worker` until it exits by itself (or 20 s pass), for settings that must stop it. */
function workerThatShouldExit(env: NodeJS.ProcessEnv): Promise<CommandResult> {
  const child = spawn(process.execPath, [GANTRY_BIN, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
}

describe('a catalogue kept in git', () => {
  const address = sharedServerAddress();
  const workspace = createE2EWorkspace('catalogue-git', address);
  // The platform's repository: the examples' catalogue, naming the service's repository by absolute path.
  const platformRepo = mkdtempSync(path.join(os.tmpdir(), 'gantry-platform-'));
  const catalogue = (edit: (doc: Record<string, any>) => void = () => undefined) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- YAML documents are untyped
    const doc = YAML.parse(readFileSync(workspace.configFile, 'utf8'));
    for (const service of Object.values(doc.services) as { repository: string }[]) service.repository = workspace.repository;
    edit(doc);
    mkdirSync(path.join(platformRepo, 'teams'), { recursive: true });
    writeFileSync(path.join(platformRepo, 'teams', 'gantry.yaml'), YAML.stringify(doc));
    git(platformRepo, ['add', '-A']);
    git(platformRepo, ['commit', '-q', '-m', 'Catalogue change'], { GIT_COMMITTER_DATE: new Date().toISOString() });
    return git(platformRepo, ['rev-parse', 'HEAD']);
  };
  git(platformRepo, ['init', '-q']);
  const first = catalogue();
  const env: NodeJS.ProcessEnv = {
    ...workspace.env,
    GANTRY_CATALOGUE: '',
    GANTRY_CATALOGUE_REPOSITORY: platformRepo,
    GANTRY_CATALOGUE_REF: 'main',
    GANTRY_CATALOGUE_PATH: 'teams/gantry.yaml',
    GANTRY_CATALOGUE_POLL: '1s',
  };
  const cli = commandLines(workspace.dir, env, address);
  let connection: Connection;
  let worker: WorkerProcess;

  beforeAll(async () => {
    connection = await Connection.connect({ address });
    worker = startWorkerProcess({ env, client: new Client({ connection }), cwd: workspace.dir, logFile: path.join(workspace.dir, 'worker.log') });
    await worker.polling();
  });
  afterAll(async () => {
    await worker?.kill();
    await connection?.close();
  });

  const shown = async () => {
    const result = await cli.gantry(['catalogue', 'show', '--json']);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };
  const eventuallyShown = async (check: (report: Record<string, any>) => boolean) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON report
    for (let i = 0; i < 40; i++) {
      const report = await shown();
      if (check(report)) return report;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the catalogue never showed the expected state: ${JSON.stringify(await shown())}`);
  };

  test('the worker enforces the catalogue at the ref, follows a merged change, and keeps the last good one when a change breaks it', async () => {
    const initial = await shown();
    expect(initial.location).toBe(`${platformRepo}#main:teams/gantry.yaml`);
    expect(initial.inForce.revision).toBe(first);

    const merged = catalogue((doc) => {
      doc.services.web.approval.minApprovals = 2;
    });
    const followed = await eventuallyShown((report) => report.inForce.revision === merged);
    expect(followed.inForce.services.web.definition.approval.minApprovals).toBe(2);
    expect(followed.inForce.digest).not.toBe(initial.inForce.digest);

    catalogue((doc) => {
      doc.services.web.build = '';
    });
    const refused = await eventuallyShown((report) => report.lastError !== undefined);
    expect(refused.inForce.revision).toBe(merged);
    expect(refused.lastError.message).toMatch(/services\.web\.build/);
    expect(readFileSync(path.join(workspace.dir, 'worker.log'), 'utf8')).toMatch(/catalogue change refused; the last good one stays in force/);

    // A release is admitted under the last good catalogue, with its revision recorded.
    const started = await cli.gantry(['release', 'start', '--service', 'web', '--version', '6.0.0', '--commit', workspace.commit, '--author', 'alice', '--json']);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout).admission.catalogueDigest).toBe(followed.inForce.digest);
    await cli.gantry(['release', 'abort', 'web', '6.0.0', '--as', 'alice', '--reason', 'done checking']);
  });

  test('a ref that does not exist stops the worker at start: exit 2, naming the setting', async () => {
    const result = await workerThatShouldExit({ ...env, GANTRY_CATALOGUE_REF: 'no-such-branch', GANTRY_TASK_QUEUE: 'catalogue-bad-ref' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/GANTRY_CATALOGUE_REF: .*no-such-branch/);
  });

  test('a catalogue repository given with a catalogue file is a setting to fix: exit 2', async () => {
    const result = await workerThatShouldExit({ ...env, GANTRY_CATALOGUE: workspace.configFile, GANTRY_TASK_QUEUE: 'catalogue-both' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/GANTRY_CATALOGUE and GANTRY_CATALOGUE_REPOSITORY are both set/);
  });
});
