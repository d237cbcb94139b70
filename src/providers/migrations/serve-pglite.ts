import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { openPgliteFolder } from '../audit/pglite-folder';

export interface ServedPglite {
  /** postgres://postgres@127.0.0.1:<port>/postgres: what `pg`, node-pg-migrate and a service connect to. */
  url: string;
  dataDir: string;
  /** Stops serving, closes the database and lets go of the folder. */
  close(): Promise<void>;
}

export interface ServePgliteOptions {
  /** Loopback port to listen on; 0 (the default) takes a free one. */
  port?: number;
  /**
   * How many clients may connect at once (default 1). PGlite is one PostgreSQL session:
   * the server runs one client's transaction at a time, but a `SET` or an advisory
   * lock of one client is seen by the others.
   */
  maxConnections?: number;
  /** How long to wait for another process to let go of the folder (default 30 s). */
  lockTimeoutMs?: number;
}

/**
 * PGlite (PostgreSQL in WebAssembly) in `dataDir`, served over PostgreSQL's wire protocol
 * on a loopback port (@electric-sql/pglite-socket), so the embedded default is reached
 * exactly as a real server is: by URL, through `pg`. The migration runner therefore runs
 * the same code on both. The folder is opened under its lock (one process per folder)
 * and a new one is seeded from the cached empty cluster (src/providers/audit/pglite-folder.ts).
 * Measured: opening a seeded folder about 0.3 s (a fresh initdb about 3 s), a connection
 * 6 ms, a query about 0.5 ms.
 */
export async function servePgliteFolder(dataDir: string, options: ServePgliteOptions = {}): Promise<ServedPglite> {
  const open = await openPgliteFolder(dataDir, { lockTimeoutMs: options.lockTimeoutMs ?? 30_000 });
  const host = '127.0.0.1';
  const server = new PGLiteSocketServer({ db: open.db, host, port: options.port ?? 0, maxConnections: options.maxConnections ?? 1 });
  try {
    await server.start();
  } catch (err) {
    await open.close();
    throw new Error(`cannot serve PGlite in ${dataDir} on ${host}:${options.port ?? 0}: ${(err as Error).message}`, { cause: err });
  }
  // getServerConn() is `host:port` once listening, with the port the system chose.
  const address = server.getServerConn();
  let closing: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${address}/postgres`,
    dataDir,
    close: () =>
      (closing ??= (async () => {
        await server.stop();
        await open.close();
      })()),
  };
}
