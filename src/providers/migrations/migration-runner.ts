import pg from 'pg';
import { databaseAddress } from './database-address';
import {
  GANTRY_MIGRATIONS_TABLE,
  type AppliedMigrationRecord,
  type QueryRows,
  ensureGantryMigrationsTable,
  markMigrationStartSql,
  readAppliedMigrations,
  recordMigrationSql,
} from './gantry-migrations-table';
import { type MigrationSource, readMigrationFolder } from './migration-folder';
import { MigrationRunError } from './migration-run-error';
import { classifyDatabaseError, describeDatabaseError } from './database-error';
import { type NodePgMigrate, loadNodePgMigrate } from './load-node-pg-migrate';
import type { MigrationStatementText } from './split-migration-statements';

export interface ApplyMigrationsOptions {
  /** The folder of `<number>_<name>.sql` files. */
  folder: string;
  /** postgres://… of the database; it never appears in a message or a result. */
  databaseUrl: string;
  /** Who approved these migrations, recorded with each one applied. */
  approvedBy: string;
  /** How long a statement may wait for a lock before its migration fails (default 5 s). */
  lockTimeoutMs?: number;
  /** How long one statement may run before its migration fails (default 60 s). */
  statementTimeoutMs?: number;
  /** How long to wait for the database to answer a connection (default 5 s). */
  connectTimeoutMs?: number;
  /** Told what is happening ("applying 0002_add_email.sql"); an activity heartbeats it. */
  onProgress?: (message: string) => void;
  /** Stops the run before the next migration begins; the one running finishes or fails first. */
  signal?: AbortSignal;
}

export interface MigrationRunResult {
  /** Applied by this run, in order, with what the database recorded. */
  applied: AppliedMigrationRecord[];
  /** Files of the folder that an earlier run had applied already. */
  alreadyApplied: string[];
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** node-pg-migrate's own table (its default name), so its CLI sees what Gantry applied. */
const NODE_PG_MIGRATE_TABLE = 'pgmigrations';

/**
 * node-pg-migrate reads every file of the folder that this pattern does not match (the
 * pattern is anchored at both ends): hidden files and anything not ending in `.sql` (a
 * README) are not migrations, as src/policy/migration-files.ts says.
 */
const NOT_A_MIGRATION = String.raw`(?:\..*|.*(?<!\.sql))`;

/**
 * Applies the migrations of `folder` that the database does not have yet, in order,
 * with node-pg-migrate (its runner, its advisory lock, its `pgmigrations` table) and
 * Gantry's own record beside it (`gantry_migrations`: checksum, approver, duration).
 *
 * Each migration runs in a transaction of its own that begins with `SET lock_timeout`
 * and `SET statement_timeout` (a `SET` in the file itself overrides them for the rest
 * of that file), statement by statement so a failure names its statement; its
 * records are written in the same transaction. A failure rolls its migration back
 * whole; the migrations before it stay applied. Running again applies only what is new.
 *
 * Before anything runs, under the lock: the folder is read and parsed, and a file
 * already applied whose sha256 differs from the one recorded is refused.
 *
 * A migration whose one statement cannot run in a transaction (`CREATE INDEX
 * CONCURRENTLY`) runs without one; a failed `CREATE INDEX CONCURRENTLY` leaves an
 * INVALID index that must be dropped before running again (PostgreSQL's behaviour).
 */
export async function applyMigrations(options: ApplyMigrationsOptions): Promise<MigrationRunResult> {
  const sources = await readMigrationFolder(options.folder);
  const nodePgMigrate = await loadNodePgMigrate();
  const address = databaseAddress(options.databaseUrl);
  const client = await connect(options.databaseUrl, address, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  const rows: QueryRows = async (text) => (await client.query<Record<string, unknown>>(text)).rows;
  const tracker = new StatementTracker();
  try {
    const names = new Set(await runNodePgMigrate(nodePgMigrate, tracker, tracker.watch(client), sources, rows, options));
    const records = await readAppliedMigrations(rows);
    return {
      applied: sources.filter((s) => names.has(s.file)).map((s) => recordOf(records, s.file)),
      alreadyApplied: sources.filter((s) => !names.has(s.file)).map((s) => s.file),
    };
  } catch (err) {
    throw asRunError(err, tracker.current, address);
  } finally {
    await leaveSessionClean(client);
  }
}

async function runNodePgMigrate(
  nodePgMigrate: NodePgMigrate,
  tracker: StatementTracker,
  client: pg.ClientBase,
  sources: MigrationSource[],
  rows: QueryRows,
  options: ApplyMigrationsOptions,
): Promise<string[]> {
  const byFile = new Map(sources.map((s) => [s.file, s]));
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const progress = (message: string) => options.onProgress?.(message);
  const ran = await nodePgMigrate.runner({
    dbClient: client,
    dir: options.folder,
    ignorePattern: NOT_A_MIGRATION,
    migrationsTable: NODE_PG_MIGRATE_TABLE,
    direction: 'up',
    checkOrder: true,
    // One transaction per migration: a failure keeps the migrations before it.
    singleTransaction: false,
    // A second run on the same database fails at once (and is retried later) rather than queueing unseen.
    advisoryLockMode: 'fail',
    logger: { info: progress, warn: progress, error: () => undefined },
    migrationLoaderStrategies: [
      {
        extensions: ['.sql'],
        // Called under the lock, after node-pg-migrate made its table and before anything runs.
        loader: async (filePaths) => {
          await refuseChangedMigrations(sources, rows);
          return filePaths.map((filePath) => {
            const file = filePath.split(/[\\/]/).pop() ?? filePath;
            const source = byFile.get(file);
            if (!source) throw new Error(`node-pg-migrate found ${file}, which the folder's naming rules do not list as a migration`);
            return {
              id: filePath,
              filePaths: [filePath],
              actions: {
                up: (pgm) => {
                  if (options.signal?.aborted) throw new Error(`cancelled before ${file}`);
                  progress(`applying ${file}`);
                  if (source.outsideTransaction) pgm.noTransaction();
                  const steps: Step[] = [
                    { sql: `SET lock_timeout = ${lockTimeoutMs}` },
                    { sql: `SET statement_timeout = ${statementTimeoutMs}` },
                    { sql: markMigrationStartSql },
                    ...source.statements.map((statement) => ({ sql: statement.text, file, statement })),
                    { sql: recordMigrationSql({ file, checksum: source.checksum, approvedBy: options.approvedBy }), file },
                  ];
                  tracker.expect(file, steps);
                  for (const step of steps) pgm.sql(step.sql);
                },
                down: false,
              },
            };
          });
        },
      },
    ],
  });
  return ran.map((migration) => `${migration.name}.sql`);
}

/** Refuses, naming every one, the applied files whose bytes are no longer those that ran. */
async function refuseChangedMigrations(sources: MigrationSource[], rows: QueryRows): Promise<void> {
  await ensureGantryMigrationsTable(rows);
  const recorded = await readAppliedMigrations(rows);
  const changed = sources.filter((s) => {
    const record = recorded.get(s.file);
    return record !== undefined && record.checksum !== s.checksum;
  });
  if (changed.length === 0) return;
  const list = changed.map((s) => `${s.file} (applied ${recorded.get(s.file)?.appliedAt} as sha256 ${recorded.get(s.file)?.checksum.slice(0, 12)}…, now ${s.checksum.slice(0, 12)}…)`);
  throw new MigrationRunError(
    { code: 'changed', file: changed[0].file },
    `${list.join(', ')} changed after ${changed.length === 1 ? 'it was' : 'they were'} applied; nothing ran. Restore the applied file and put the change in a new migration`,
  );
}

interface Step {
  sql: string;
  file?: string;
  statement?: MigrationStatementText;
}

/**
 * Follows which statement of which migration the database is running: node-pg-migrate
 * sends a migration's steps in order (with its own BEGIN, COMMIT and bookkeeping in
 * between), so the next expected step that the client is asked to run is the current one.
 */
class StatementTracker {
  current?: Step;
  private pending: Step[] = [];

  /**
   * The client node-pg-migrate is given: the same connection, with its queries watched.
   * node-pg-migrate uses only `query(text, values?)` of a client it is given (it does
   * not connect or end it), so that is the one member replaced.
   */
  watch(client: pg.Client): pg.ClientBase {
    const query = (text: string, values?: unknown[]) => {
      this.saw(text);
      return client.query(text, values);
    };
    // The client's other members stay reachable through its prototype; query's many overloads are not re-declared.
    return Object.assign(Object.create(client) as pg.Client, { query }) as unknown as pg.ClientBase;
  }

  expect(file: string, steps: Step[]): void {
    this.current = { sql: '', file };
    this.pending = [...steps];
  }

  private saw(text: string): void {
    const next = this.pending[0];
    // node-pg-migrate ends a statement with `;` when it has none.
    if (next && (text === next.sql || text === `${next.sql};`)) this.current = this.pending.shift();
  }
}

/**
 * On PostgreSQL, ending the session would be enough: it rolls back a migration left open
 * by a failure and lets go of node-pg-migrate's advisory lock (whose unlock fails in an
 * aborted transaction). PGlite served over a socket is one session that outlives its
 * connections, so the rollback, the lock and the timeouts set are undone by hand first.
 */
async function leaveSessionClean(client: pg.Client): Promise<void> {
  for (const statement of ['ROLLBACK', 'SELECT pg_advisory_unlock_all()', 'RESET ALL']) {
    await client.query(statement).catch(() => undefined);
  }
  await client.end().catch(() => undefined);
}

async function connect(url: string, address: string, connectTimeoutMs: number): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, application_name: 'gantry-migrations' });
  // A connection that breaks between queries must not crash the process; the next query fails and says so.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw asRunError(err, undefined, address);
  }
}

/** An error of the run as a MigrationRunError that names the file, the statement and the database's words. */
function asRunError(err: unknown, current: Step | undefined, address: string): MigrationRunError {
  // node-pg-migrate wraps what the loader throws ("Error loading migration files: …") and keeps it as the cause.
  const wrapped = typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const cause = wrapped instanceof MigrationRunError ? wrapped : err;
  if (cause instanceof MigrationRunError) return cause;
  const kind = classifyDatabaseError(cause);
  const words = describeDatabaseError(cause);
  const file = current?.file;
  if (kind === 'unreachable') {
    return new MigrationRunError(
      { code: 'unreachable', file, databaseMessage: words.message, sqlState: words.sqlState },
      `the database at ${address} cannot be reached${file ? ` (while applying ${file}, which was rolled back)` : ''}: ${words.message}; check that it runs and that this worker can reach it, then run again`,
      { cause },
    );
  }
  if (kind === 'login-refused') {
    return new MigrationRunError(
      { code: 'login-refused', databaseMessage: words.message, sqlState: words.sqlState },
      `the database at ${address} refused the login: ${words.message}; fix the user, password or database name of the database URL`,
      { cause },
    );
  }
  if (/Another migration is already running/.test(words.message)) {
    return new MigrationRunError({ code: 'busy' }, `another migration run holds the migration lock of the database at ${address}; nothing ran: run again once it ends`, { cause });
  }
  if (file && kind === 'database') {
    const statement = current?.statement;
    const where = statement ? `${file}:${statement.line}` : file;
    const excerpt = statement ? statementStart(statement.text) : undefined;
    const lockTimeout = words.sqlState === '55P03' ? ' (lock timeout: another session holds a lock this statement needs; run again when it is free, or raise the lock timeout)' : '';
    const rolledBack = statement?.outsideTransaction
      ? `; it ran outside a transaction: a failed CREATE INDEX CONCURRENTLY leaves an INVALID index, drop it before running again`
      : `; nothing of ${file} was applied`;
    return new MigrationRunError(
      { code: 'failed', file, line: statement?.line, statement: excerpt, databaseMessage: words.message, sqlState: words.sqlState },
      `${where} failed${excerpt ? ` at "${excerpt}"` : ''}: ${words.message}${lockTimeout}${rolledBack}`,
      { cause },
    );
  }
  return new MigrationRunError({ code: 'failed', file }, `migrating the database at ${address}${file ? ` (${file})` : ''} failed: ${words.message}`, { cause });
}

/** The statement's first 200 characters on one line: enough to find it, short enough for a message. */
function statementStart(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

/** Both records are written in one transaction, so an applied file without Gantry's record means someone edited the tables. */
function recordOf(records: Map<string, AppliedMigrationRecord>, file: string): AppliedMigrationRecord {
  const record = records.get(file);
  if (!record) throw new Error(`${file} was applied but ${GANTRY_MIGRATIONS_TABLE} holds no record of it: someone changed the table by hand`);
  return record;
}
