import { type OpenPglite, openPgliteFolder } from './pglite-folder';
import type { Sql, SqlDatabase } from './sql-database';

/** How long a process keeps the database open after its last use (appends come in bursts). */
const IDLE_CLOSE_MS = 1_000;
/** How long a process waits for another one to let go of the database. */
const LOCK_TIMEOUT_MS = 30_000;

/**
 * PGlite (PostgreSQL in WebAssembly) in a folder under the state folder: the embedded
 * audit store. PGlite allows one process per data folder, and both the worker and the
 * `gantry audit` CLI need it, so a process opens it only under an exclusive lock file,
 * keeps it open while work comes in, and closes it (and lets go of the lock) once idle
 * for `idleCloseMs`. Opening costs about 0.25 s and holding it open a few hundred MB of
 * memory, so a worker pays the open once per burst of appends and nothing while idle.
 * Committed transactions survive a killed process (PostgreSQL's own WAL).
 */
export class PgliteDatabase implements SqlDatabase {
  private open?: OpenPglite;
  private tail: Promise<unknown> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;

  constructor(
    readonly dataDir: string,
    private readonly options: { idleCloseMs?: number; lockTimeoutMs?: number } = {},
  ) {}

  get describe(): string {
    return `PGlite in ${this.dataDir}`;
  }

  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.serially(async () => {
      const db = await this.openDatabase();
      return db.transaction((tx) => work(async (text, params) => (await tx.query(text, params)).rows as never));
    });
  }

  close(): Promise<void> {
    return this.serially(() => this.closeDatabase());
  }

  /** One thing at a time in this process; then the database stays open for a while. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    clearTimeout(this.idleTimer);
    const run = this.tail.then(task, task);
    this.tail = run.then(
      () => this.scheduleClose(),
      () => this.scheduleClose(),
    );
    return run;
  }

  private scheduleClose(): void {
    if (!this.open) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.serially(() => this.closeDatabase()), this.options.idleCloseMs ?? IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private async openDatabase(): Promise<OpenPglite['db']> {
    this.open ??= await openPgliteFolder(this.dataDir, { lockTimeoutMs: this.options.lockTimeoutMs ?? LOCK_TIMEOUT_MS });
    return this.open.db;
  }

  private async closeDatabase(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    await open?.close();
  }
}
