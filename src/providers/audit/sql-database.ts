/** Runs one parameterised statement and returns its rows. */
export type Sql = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

/**
 * The little the audit store needs of a PostgreSQL: transactions of parameterised
 * statements. PGlite and a real server (through `pg`) both speak it, so the store's
 * schema and queries are written once (`SqlAuditStore`).
 */
export interface SqlDatabase {
  /** What it is, for logs and `gantry doctor` (a URL without its password, a folder). */
  readonly describe: string;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
