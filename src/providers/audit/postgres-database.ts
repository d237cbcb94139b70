import pg from 'pg';
import type { Sql, SqlDatabase } from './sql-database';

/**
 * A real PostgreSQL through `pg` (GANTRY_AUDIT_DATABASE_URL): a small pool, a connect
 * timeout so an unreachable server fails an append quickly (the workflow then retries
 * and says it waits on the audit store) instead of hanging it.
 */
export class PostgresDatabase implements SqlDatabase {
  private readonly pool: pg.Pool;
  /** Clients that already have an error listener (they are reused). */
  private readonly listened = new WeakSet<pg.PoolClient>();

  constructor(
    readonly url: string,
    options: { connectTimeoutMs?: number } = {},
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000, idleTimeoutMillis: 10_000 });
    // A pooled connection that breaks while idle must not crash the worker; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  get describe(): string {
    return `PostgreSQL at ${redactedUrl(this.url)}`;
  }

  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client whose server goes away emits 'error'; unheard, it would crash the
    // worker. The query in flight fails too (the caller hears that, and retries), and the
    // failed ROLLBACK below then has the client thrown away rather than reused.
    if (!this.listened.has(client)) {
      this.listened.add(client);
      client.on('error', () => undefined);
    }
    try {
      await client.query('BEGIN');
      const result = await work(async (text, params) => (await client.query(text, params)).rows as never);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** The URL with its password replaced, fit for logs and `gantry doctor`. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a URL that does not parse)';
  }
}
