import path from 'node:path';
import type { AuditStore } from './audit-store';
import { PgliteDatabase } from './pglite-database';
import { PgliteProcessDatabase } from './pglite-process-database';
import { PostgresDatabase } from './postgres-database';
import { SqlAuditStore } from './sql-audit-store';

/** A GANTRY_AUDIT_DATABASE_URL that cannot be a PostgreSQL URL: a setting to fix (exit 2), not an outage. */
export class AuditSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditSettingError';
  }
}

/** Where the embedded store keeps its data: `<state folder>/audit/pglite`. */
export function embeddedAuditDir(home: string): string {
  return path.join(home, 'audit', 'pglite');
}

/**
 * The audit store the settings name: a real PostgreSQL when GANTRY_AUDIT_DATABASE_URL is
 * set (postgres:// or postgresql://), else PGlite under the state folder. The worker and
 * the CLI build it the same way, so they read and write the same chain.
 */
export function auditStoreFor(
  home: string,
  env: NodeJS.ProcessEnv = process.env,
  options: {
    idleCloseMs?: number;
    /** Run PGlite in a child process (a long-lived worker: its memory then leaves with the child); in-process when the child program is not built. */
    isolated?: boolean;
  } = {},
): AuditStore {
  const url = env.GANTRY_AUDIT_DATABASE_URL?.trim();
  if (!url) {
    const dir = embeddedAuditDir(home);
    const isolated = options.isolated && PgliteProcessDatabase.childProgram();
    return new SqlAuditStore(isolated ? new PgliteProcessDatabase(dir) : new PgliteDatabase(dir, options));
  }
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new AuditSettingError('GANTRY_AUDIT_DATABASE_URL is not a URL; use postgres://user:password@host:5432/database');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new AuditSettingError(`GANTRY_AUDIT_DATABASE_URL must be a postgres:// or postgresql:// URL, not ${protocol}//…`);
  }
  return new SqlAuditStore(new PostgresDatabase(url));
}
