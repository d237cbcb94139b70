import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { createMigrationActivities, databaseEnvName } from '../../src/activities/migrations';
import { type ApplyMigrationsOptions, type MigrationRunResult, applyMigrations } from '../../src/providers/migrations/migration-runner';
import { MigrationRunError } from '../../src/providers/migrations/migration-run-error';
import { servePgliteFolder } from '../../src/providers/migrations/serve-pglite';
import { findFreePort } from '../../src/providers/process/free-port';
import { type RunningPostgres, startPostgres } from '../support/postgres';

/**
 * The same fixture migrations (test/fixtures/migrations) applied by the same runner to a
 * real PostgreSQL 15 and to PGlite served over the wire protocol.
 */

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'migrations');

interface TestDatabase {
  url: string;
  close(): Promise<void>;
}

let postgres: RunningPostgres;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'gantry-migrations-'));
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
  await rm(scratch, { recursive: true, force: true });
});

let folders = 0;

/** A folder of its own holding the given fixture folders' files, which a test may then edit. */
async function migrationsFolder(...fixtures: string[]): Promise<string> {
  const folder = path.join(scratch, `migrations-${(folders += 1)}`);
  await mkdir(folder, { recursive: true });
  for (const fixture of fixtures) await cp(path.join(FIXTURES, fixture), folder, { recursive: true });
  return folder;
}

async function query<R extends Record<string, unknown>>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

async function columnsOf(url: string, table: string): Promise<string[]> {
  const rows = await query<{ column_name: string }>(url, `SELECT column_name FROM information_schema.columns WHERE table_name = '${table}' ORDER BY ordinal_position`);
  return rows.map((row) => row.column_name);
}

async function failureOf(run: Promise<unknown>): Promise<MigrationRunError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MigrationRunError)) throw new Error(`expected a MigrationRunError, got ${String(err)}`);
  return err;
}

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

const backends: Array<[string, () => Promise<TestDatabase>]> = [
  ['PostgreSQL 15', async () => ({ url: await postgres.createDatabase(), close: async () => undefined })],
  ['PGlite over pglite-socket', async () => servePgliteFolder(path.join(scratch, `pglite-${(folders += 1)}`))],
];

describe.each(backends)('applyMigrations on %s', (_name, openDatabase) => {
  let db: TestDatabase;
  const run = (folder: string, extra: Partial<ApplyMigrationsOptions> = {}) => applyMigrations({ folder, databaseUrl: db.url, approvedBy: 'ana', ...extra });

  beforeEach(async () => {
    db = await openDatabase();
  });

  afterEach(async () => {
    await db.close();
  });

  test('applies the migrations in order, each recorded with its checksum, approver and duration', async () => {
    const folder = await migrationsFolder('orders');
    const progress: string[] = [];

    const result = await run(folder, { onProgress: (message) => progress.push(message) });

    expect(result.applied.map((m) => m.file)).toEqual(['0001_create_orders.sql', '0002_add_email.sql', '0003_index_email.sql']);
    expect(result.alreadyApplied).toEqual([]);
    for (const record of result.applied) {
      expect(record.checksum).toBe(await sha256(path.join(folder, record.file)));
      expect(record.approvedBy).toBe('ana');
      expect(record.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(record.appliedAt)).not.toBeNaN();
    }
    expect(progress).toEqual(expect.arrayContaining(['applying 0001_create_orders.sql', 'applying 0003_index_email.sql']));
    expect(await columnsOf(db.url, 'orders')).toEqual(['id', 'total', 'note', 'email']);
    expect(await query(db.url, `SELECT note FROM orders ORDER BY id`)).toEqual([{ note: 'paid; thanks' }, { note: 'paid; thanks' }]);
    expect(await query(db.url, `SELECT indexname FROM pg_indexes WHERE indexname = 'orders_email'`)).toHaveLength(1);
    // node-pg-migrate's own table holds them too, in order, so its CLI agrees with Gantry.
    expect(await query(db.url, 'SELECT name FROM pgmigrations ORDER BY id')).toEqual([{ name: '0001_create_orders' }, { name: '0002_add_email' }, { name: '0003_index_email' }]);
  });

  test('a second run applies nothing; a run after a new file applies only that file', async () => {
    const folder = await migrationsFolder('orders');
    await run(folder);

    const again = await run(folder);
    expect(again).toEqual({ applied: [], alreadyApplied: ['0001_create_orders.sql', '0002_add_email.sql', '0003_index_email.sql'] });

    await cp(path.join(FIXTURES, 'next'), folder, { recursive: true });
    const next = await run(folder, { approvedBy: 'ben' });
    expect(next.applied.map((m) => [m.file, m.approvedBy])).toEqual([['0004_add_status.sql', 'ben']]);
    expect(next.alreadyApplied).toHaveLength(3);
    expect(await columnsOf(db.url, 'orders')).toContain('status');
  });

  test('a file changed after it was applied is refused by name before anything runs', async () => {
    const folder = await migrationsFolder('orders');
    await run(folder);
    await writeFile(path.join(folder, '0002_add_email.sql'), 'ALTER TABLE orders ADD COLUMN email_address text;\n');
    await cp(path.join(FIXTURES, 'next'), folder, { recursive: true });

    const err = await failureOf(run(folder));

    expect(err.code).toBe('changed');
    expect(err.file).toBe('0002_add_email.sql');
    expect(err.message).toMatch(/0002_add_email\.sql \(applied .* as sha256 [0-9a-f]{12}…, now [0-9a-f]{12}…\) changed after it was applied; nothing ran/);
    expect(await columnsOf(db.url, 'orders')).not.toContain('status');
  });

  test('a failing statement is reported with its file, line and the database error, and nothing of its file stays', async () => {
    const folder = await migrationsFolder('orders', 'failing');

    const err = await failureOf(run(folder));

    expect(err.code).toBe('failed');
    expect(err.file).toBe('0004_backfill_status.sql');
    expect(err.line).toBe(3);
    expect(err.statement).toBe('INSERT INTO orders (id, total) VALUES (1, 30)');
    expect(err.sqlState).toBe('23505');
    expect(err.databaseMessage).toMatch(/duplicate key value violates unique constraint "orders_pkey"/);
    expect(err.message).toMatch(/^0004_backfill_status\.sql:3 failed at "INSERT INTO orders .*": duplicate key .*; nothing of 0004_backfill_status\.sql was applied$/);
    // Its ALTER and UPDATE were rolled back with it; the migrations before it stay applied.
    expect(await columnsOf(db.url, 'orders')).toEqual(['id', 'total', 'note', 'email']);
    expect(await query(db.url, 'SELECT file FROM gantry_migrations ORDER BY file')).toHaveLength(3);
    expect(await query(db.url, `SELECT name FROM pgmigrations WHERE name = '0004_backfill_status'`)).toEqual([]);
    // The session let go of the migration lock: a corrected folder applies.
    await rm(path.join(folder, '0004_backfill_status.sql'));
    await cp(path.join(FIXTURES, 'next'), folder, { recursive: true });
    expect((await run(folder)).applied.map((m) => m.file)).toEqual(['0004_add_status.sql']);
  });

  test('an unreachable database is reported by host and port, never with the password', async () => {
    const served = await openDatabase();
    const url = new URL(served.url);
    await served.close();
    if (_name.startsWith('PostgreSQL')) url.port = String(await findFreePort());
    url.username = 'app';
    url.password = 's3cret-password';

    const err = await failureOf(applyMigrations({ folder: path.join(FIXTURES, 'orders'), databaseUrl: url.toString(), approvedBy: 'ana', connectTimeoutMs: 2_000 }));

    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(`the database at 127.0.0.1:${url.port} cannot be reached`);
    expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain('s3cret-password');
  });
});

describe('applyMigrations on PostgreSQL 15 only', () => {
  test('a lock held by another session past the lock timeout fails the migration, which stays unapplied', async () => {
    const url = await postgres.createDatabase();
    const folder = await migrationsFolder('orders');
    await rm(path.join(folder, '0002_add_email.sql'));
    await rm(path.join(folder, '0003_index_email.sql'));
    await applyMigrations({ folder, databaseUrl: url, approvedBy: 'ana' });
    await cp(path.join(FIXTURES, 'orders', '0002_add_email.sql'), path.join(folder, '0002_add_email.sql'));
    // A reader's open transaction holds ACCESS SHARE, which ALTER TABLE's ACCESS EXCLUSIVE waits for.
    // (PGlite has one session, so nothing else can hold a lock there: this case exists only on a server.)
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT * FROM orders');
      const started = Date.now();

      const err = await failureOf(applyMigrations({ folder, databaseUrl: url, approvedBy: 'ana', lockTimeoutMs: 300 }));

      expect(Date.now() - started).toBeLessThan(5_000);
      expect(err.code).toBe('failed');
      expect(err.file).toBe('0002_add_email.sql');
      expect(err.sqlState).toBe('55P03');
      expect(err.message).toMatch(/0002_add_email\.sql:2 failed at "ALTER TABLE orders ADD COLUMN email text": canceling statement due to lock timeout \(lock timeout: /);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    expect(await columnsOf(url, 'orders')).not.toContain('email');
    expect((await applyMigrations({ folder, databaseUrl: url, approvedBy: 'ana' })).applied.map((m) => m.file)).toEqual(['0002_add_email.sql']);
  });

  test('a statement past the statement timeout fails its migration', async () => {
    const url = await postgres.createDatabase();
    const folder = await migrationsFolder();
    await writeFile(path.join(folder, '0001_slow.sql'), 'CREATE TABLE slow (id integer);\nSELECT pg_sleep(2);\n');

    const err = await failureOf(applyMigrations({ folder, databaseUrl: url, approvedBy: 'ana', statementTimeoutMs: 200 }));

    expect(err).toMatchObject({ code: 'failed', file: '0001_slow.sql', line: 2, sqlState: '57014' });
    expect(await query(url, `SELECT 1 FROM information_schema.tables WHERE table_name = 'slow'`)).toEqual([]);
  });
});

describe('the migrations folder', () => {
  test('a misnamed file is refused before the database is reached', async () => {
    const err = await failureOf(applyMigrations({ folder: path.join(FIXTURES, 'misnamed'), databaseUrl: 'postgres://nobody@127.0.0.1:1/none', approvedBy: 'ana' }));

    expect(err.code).toBe('folder-invalid');
    expect(err.message).toContain('add_email.sql is not named <number>_<name>.sql');
  });
});

describe('the applyMigrations activity', () => {
  test('applies from the workspace with the URL read from the worker environment, and maps failures to types', async () => {
    const url = await postgres.createDatabase();
    const workspaceDir = await migrationsFolder();
    await cp(path.join(FIXTURES, 'orders'), path.join(workspaceDir, 'db'), { recursive: true });
    const env = { [databaseEnvName('checkout', 'eu-prod')]: url };
    const activities = createMigrationActivities({ env });
    const input = { service: 'checkout', environment: 'eu-prod', workspaceDir, migrationsDir: 'db', approvedBy: 'ana' };
    const heartbeats: unknown[] = [];
    const activityEnv = new MockActivityEnvironment();
    activityEnv.on('heartbeat', (details: unknown) => heartbeats.push(details));

    const result = (await activityEnv.run(activities.applyMigrations, input)) as MigrationRunResult;

    expect(databaseEnvName('checkout', 'eu-prod')).toBe('GANTRY_DB_CHECKOUT_EU_PROD');
    expect(result.applied).toHaveLength(3);
    expect(heartbeats).toContain('applying 0002_add_email.sql');

    await cp(path.join(FIXTURES, 'failing'), path.join(workspaceDir, 'db'), { recursive: true });
    const failed = await new MockActivityEnvironment().run(activities.applyMigrations, input).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApplicationFailure);
    expect(failed).toMatchObject({ type: 'MigrationFailed', nonRetryable: true, details: [expect.objectContaining({ file: '0004_backfill_status.sql', line: 3, sqlState: '23505' })] });

    const unset = await new MockActivityEnvironment().run(createMigrationActivities({ env: {} }).applyMigrations, input).catch((e: unknown) => e);
    expect(unset).toMatchObject({ type: 'MigrationDatabaseUnset', nonRetryable: true, message: expect.stringContaining('GANTRY_DB_CHECKOUT_EU_PROD') });

    const unreachable = await new MockActivityEnvironment()
      .run(createMigrationActivities({ env: { DB: `postgres://app:pw@127.0.0.1:${await findFreePort()}/x` } }).applyMigrations, { ...input, databaseEnv: 'DB' })
      .catch((e: unknown) => e);
    expect(unreachable).toMatchObject({ type: 'MigrationDatabaseUnreachable', nonRetryable: false });

    const outside = await new MockActivityEnvironment().run(activities.applyMigrations, { ...input, migrationsDir: '../elsewhere' }).catch((e: unknown) => e);
    expect(outside).toMatchObject({ type: 'MigrationFolderInvalid', nonRetryable: true });
  });
});
