import { escapeLiteral } from 'pg';

/**
 * Gantry's record of the migrations it applied, beside node-pg-migrate's own table
 * (which keeps only a name and a time): the sha256 of each file as it ran, who approved
 * it, and how long it took. Its row is written in the migration's own transaction, so a
 * migration is recorded exactly when it is applied.
 */
export const GANTRY_MIGRATIONS_TABLE = 'public.gantry_migrations';

export interface AppliedMigrationRecord {
  file: string;
  /** sha256 of the file's bytes when it ran, hex. */
  checksum: string;
  approvedBy: string;
  durationMs: number;
  /** ISO 8601. */
  appliedAt: string;
}

/** Runs one statement and returns its rows (a `pg` client's query, narrowed). */
export type QueryRows = (text: string) => Promise<Record<string, unknown>[]>;

export async function ensureGantryMigrationsTable(query: QueryRows): Promise<void> {
  await query(`CREATE TABLE IF NOT EXISTS ${GANTRY_MIGRATIONS_TABLE} (
    file text PRIMARY KEY,
    checksum text NOT NULL,
    approved_by text NOT NULL,
    duration_ms integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
}

export async function readAppliedMigrations(query: QueryRows): Promise<Map<string, AppliedMigrationRecord>> {
  const rows = await query(`SELECT file, checksum, approved_by, duration_ms, applied_at FROM ${GANTRY_MIGRATIONS_TABLE} ORDER BY applied_at, file`);
  return new Map(
    rows.map((row) => [
      String(row.file),
      {
        file: String(row.file),
        checksum: String(row.checksum),
        approvedBy: String(row.approved_by),
        durationMs: Number(row.duration_ms),
        appliedAt: new Date(row.applied_at as string | Date).toISOString(),
      },
    ]),
  );
}

/**
 * The custom setting that holds when the migration began. A setting of the session
 * rather than `now()`, because a migration run outside a transaction has no transaction
 * start to measure from.
 */
const STARTED_SETTING = 'gantry.migration_started';

/** The first statement of every migration: notes the time it starts. */
export const markMigrationStartSql = `SELECT set_config('${STARTED_SETTING}', clock_timestamp()::text, false)`;

/**
 * The last statement of every migration: its record (replacing an older one when someone
 * removed the file from node-pg-migrate's table to run it again), with the duration the database
 * measured since `markMigrationStartSql`. Values are quoted by `pg` (the statement is
 * queued as text by node-pg-migrate, which has no parameters for SQL migrations).
 */
export function recordMigrationSql(record: { file: string; checksum: string; approvedBy: string }): string {
  return `INSERT INTO ${GANTRY_MIGRATIONS_TABLE} (file, checksum, approved_by, duration_ms)
    VALUES (${escapeLiteral(record.file)}, ${escapeLiteral(record.checksum)}, ${escapeLiteral(record.approvedBy)},
      round(extract(epoch FROM clock_timestamp() - current_setting('${STARTED_SETTING}')::timestamptz) * 1000)::integer)
    ON CONFLICT (file) DO UPDATE SET checksum = excluded.checksum, approved_by = excluded.approved_by,
      duration_ms = excluded.duration_ms, applied_at = excluded.applied_at`;
}
