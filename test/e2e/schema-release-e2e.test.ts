import { rmSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import YAML from 'yaml';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';
import { type RunningPostgres, startPostgres } from '../support/postgres';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Schema releases end to end: the real CLI, a dev server, a worker, and a real PostgreSQL
 * with one database per environment. The example service declares its migrations; its
 * repository starts with 0001 (an expand migration) beside its code.
 */
const SERVICE = 'inkwell';
let stack: E2EStack;
let postgres: RunningPostgres;
const databases: Record<string, string> = {};

beforeAll(async () => {
  postgres = await startPostgres();
  databases.staging = await postgres.createDatabase();
  databases.production = await postgres.createDatabase();
  // The worker process inherits them: it reads the URLs from its environment, never from the catalogue or a workflow.
  process.env.GANTRY_DB_INKWELL_STAGING = databases.staging;
  process.env.INKWELL_PRODUCTION_DB = databases.production;
  stack = await startE2EStack('schema', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      const service = doc.services.web;
      service.approval = { approvers: ['bob'], minApprovals: 1, timeout: '1h' };
      service.migrations = { directory: 'migrations', lockTimeout: '2s', statementTimeout: '10s' };
      service.environments.production.database = { env: 'INKWELL_PRODUCTION_DB' };
      doc.services = { [SERVICE]: service };
      return YAML.stringify(doc);
    },
    // The real `gantry worker`: the migration runner's ES-module import cannot run inside jest's module sandbox.
    workerProcess: true,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await postgres?.stop();
  delete process.env.GANTRY_DB_INKWELL_STAGING;
  delete process.env.INKWELL_PRODUCTION_DB;
});

async function applied(environment: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databases[environment] });
  await client.connect();
  try {
    const exists = await client.query(`SELECT to_regclass('public.gantry_migrations')::text AS t`);
    if (exists.rows[0].t === null) return [];
    return (await client.query('SELECT file FROM gantry_migrations ORDER BY file')).rows.map((r) => r.file as string);
  } finally {
    await client.end();
  }
}

async function columns(environment: string, table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databases[environment] });
  await client.connect();
  try {
    return (await client.query('SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [table])).rows.map((r) => r.column_name as string);
  } finally {
    await client.end();
  }
}

/** Starts a release, approves it as bob when it waits for approval, and returns the CLI's result. */
async function releaseApproved(version: string, commit: string) {
  const { done } = stack.spawnGantry(['release', 'start', '--service', SERVICE, '--version', version, '--commit', commit, '--author', 'alice', '--wait', '--json']);
  const handle = stack.client.workflow.getHandle(releaseWorkflowId(SERVICE, version));
  let finished = false;
  const approver = (async () => {
    while (!finished) {
      const status = await handle.query(statusQuery).catch(() => undefined);
      if (status?.stage === 'approval' && !status.outcome) {
        await stack.gantry(['release', 'approve', SERVICE, version, '--as', 'bob', '--comment', 'schema looks safe']);
        return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const result = await done;
  finished = true;
  await approver;
  return result;
}

const EXPAND_EMAIL = "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN email text;\n";

describe('schema releases on a real PostgreSQL', () => {
  test('a first release with both applies 0001 in each environment, then the code', async () => {
    const result = await releaseApproved('1.0.0', stack.commit);
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout);
    expect(doc.outcome).toBe('succeeded');
    expect(doc.status.change).toMatchObject({ kind: 'first', migrations: ['0001_create_orders.sql'] });
    expect(doc.status.migrations.map((m: { environment: string; file: string }) => `${m.environment}:${m.file}`)).toEqual(['staging:0001_create_orders.sql', 'production:0001_create_orders.sql']);
    expect(doc.status.artifact).toBeDefined();
    expect(await applied('production')).toEqual(['0001_create_orders.sql']);
  });

  test('a commit that changes only migrations is a schema release: staging, approval, production, no build', async () => {
    const commit = stack.commitFiles({ 'migrations/0002_add_order_email.sql': EXPAND_EMAIL }, 'Expand: orders get an email column');
    const result = await releaseApproved('1.1.0', commit);
    const doc = JSON.parse(result.stdout);
    expect(doc.outcome).toBe('succeeded');
    expect(doc.status.change).toMatchObject({ kind: 'schema', base: { version: '1.0.0', commit: stack.commit }, migrations: ['0002_add_order_email.sql'], otherFiles: 0 });
    expect(doc.status.artifact).toBeUndefined();
    expect(doc.status.timeline.map((t: { stage: string }) => t.stage)).toEqual(['admission', 'build', 'staging', 'approval', 'production', 'done']);
    expect(doc.status.migrations).toEqual([
      expect.objectContaining({ environment: 'staging', file: '0002_add_order_email.sql', approvedBy: 'alice (no approval required)', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      expect.objectContaining({ environment: 'production', file: '0002_add_order_email.sql', approvedBy: 'bob' }),
    ]);
    expect(await columns('production', 'orders')).toContain('email');
    // What runs stays the code of 1.0.0.
    const env = await stack.gantry(['env', 'list']);
    expect(env.stdout).toMatch(/inkwell\/production\s+1\.0\.0/);

    const status = await stack.gantry(['release', 'status', SERVICE, '1.1.0']);
    expect(status.stdout).toContain('change Schema release (since 1.0.0');
    expect(status.stdout).toMatch(/migration production +0002_add_order_email\.sql applied in \d+ ms, sha256 [0-9a-f]{12}…, approved by bob/);
  });

  test('the code that follows its schema release is a code release: its migration is applied in staging already', async () => {
    const commit = stack.commitFiles({ 'src/orders.js': "'use strict';\nmodule.exports = { columns: ['item', 'email'] };\n" }, 'Code: orders carry an email');
    const result = await releaseApproved('1.1.1', commit);
    const doc = JSON.parse(result.stdout);
    expect(doc.outcome).toBe('succeeded');
    // Against 1.0.0 it changes 0002 too, but the schema release applied it unchanged.
    expect(doc.status.change).toMatchObject({ kind: 'code', base: { version: '1.0.0' }, migrations: ['0002_add_order_email.sql'] });
    expect(doc.status.migrations).toBeUndefined();
    expect(doc.status.environments.production.version).toBe('1.1.1');
  });

  test('a commit that changes migrations and code together is refused at admission, and nothing is built', async () => {
    const commit = stack.commitFiles(
      { 'migrations/0003_add_order_note.sql': "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN note text;\n", 'src/notes.js': "'use strict';\nmodule.exports = {};\n" },
      'Notes and the code that writes them, together',
    );
    const result = await stack.gantry(['release', 'start', '--service', SERVICE, '--version', '1.2.0', '--commit', commit, '--author', 'alice']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('changes both its migrations (migrations/0003_add_order_note.sql) and its code (src/notes.js) since 1.1.1');
    expect(result.stderr).toContain('Split it: first release a commit that changes only migrations/');
    const status = await stack.client.workflow.getHandle(releaseWorkflowId(SERVICE, '1.2.0')).query(statusQuery);
    expect(status.outcome).toBe('refused');
    expect(status.artifact).toBeUndefined();
    expect(await applied('staging')).not.toContain('0003_add_order_note.sql');
    // Undone for the next test: the schema goes first, then the code.
    rmSync(path.join(stack.repository, 'migrations/0003_add_order_note.sql'));
    rmSync(path.join(stack.repository, 'src/notes.js'));
    stack.commitFiles({}, 'Undo: the schema goes first, then the code');
  });

  test('a failing migration stops the release in staging with the file and the error; production is untouched', async () => {
    const commit = stack.commitFiles(
      { 'migrations/0003_add_order_note.sql': "SET lock_timeout = '5s';\nALTER TABLE no_such_table ADD COLUMN note text;\n" },
      'A migration that fails',
    );
    const result = await stack.gantry(['release', 'start', '--service', SERVICE, '--version', '1.3.0', '--commit', commit, '--author', 'alice', '--wait', '--json']);
    expect(result.stderr).toBe('');
    const doc = JSON.parse(result.stdout);
    expect(doc.outcome).toBe('failed');
    expect(doc.status.stage).toBe('staging');
    expect(doc.reason).toContain('0003_add_order_note.sql:2');
    expect(doc.reason).toMatch(/relation "no_such_table" does not exist/);
    expect(await applied('staging')).toEqual(['0001_create_orders.sql', '0002_add_order_email.sql']);
    expect(await applied('production')).toEqual(['0001_create_orders.sql', '0002_add_order_email.sql']);
  });
});
