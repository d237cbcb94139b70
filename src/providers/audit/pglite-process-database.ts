import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ChildReply } from './pglite-child';
import type { Sql, SqlDatabase } from './sql-database';

/** How long the child keeps the folder open after a transaction (the CLI waits for it meanwhile). */
const DB_IDLE_CLOSE_MS = 1_000;
/** How long the child lives without a transaction: while decisions come, reopening stays quick. */
const CHILD_IDLE_MS = 60_000;
const LOCK_TIMEOUT_MS = 30_000;

/**
 * The embedded store as a worker uses it: PGlite in a child process of its own
 * (./pglite-child.ts), started when decisions come and ended after `childIdleMs` (60 s)
 * without any. PGlite holds a few hundred MB while open and keeps about a hundred after
 * it closes (measured: a worker's RSS with 100 parked releases went from 441 to 716 MB
 * when PGlite ran in-process); in a child, that memory leaves with the child, and a
 * worker whose releases are parked holds none of it. The child opens the data folder
 * (under its lock) per burst and closes it after 1 s of quiet, so `gantry audit` waits
 * about a second at most; a killed worker's child sees its parent go and exits.
 */
export class PgliteProcessDatabase implements SqlDatabase {
  private child?: Promise<ChildProcess>;
  private tail: Promise<unknown> = Promise.resolve();
  private idleTimer?: NodeJS.Timeout;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: Error) => void }>();

  constructor(
    readonly dataDir: string,
    private readonly options: {
      childIdleMs?: number;
      dbIdleCloseMs?: number;
      lockTimeoutMs?: number;
      /** The child program (default: the compiled one beside this file). */
      program?: string;
    } = {},
  ) {}

  /** The compiled child program; absent when running from TypeScript sources (tests), where PGlite runs in-process instead. */
  static childProgram(): string | undefined {
    const program = path.join(__dirname, 'pglite-child.js');
    return existsSync(program) ? program : undefined;
  }

  get describe(): string {
    return `PGlite in ${this.dataDir}`;
  }

  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    clearTimeout(this.idleTimer);
    const run = this.tail.then(
      () => this.inTransaction(work),
      () => this.inTransaction(work),
    );
    this.tail = run.then(
      () => this.scheduleClose(),
      () => this.scheduleClose(),
    );
    return run;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.tail.catch(() => undefined);
    await this.endChild();
  }

  private async inTransaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const child = await this.startChild();
    const sql: Sql = (text, params) => this.ask(child, text, params) as never;
    await sql('BEGIN');
    try {
      const result = await work(sql);
      await sql('COMMIT');
      return result;
    } catch (err) {
      await sql('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private ask(child: ChildProcess, text: string, params?: unknown[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const id = (this.nextId += 1);
      this.pending.set(id, { resolve, reject });
      child.send({ id, sql: text, params }, (err) => {
        if (!err) return;
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private startChild(): Promise<ChildProcess> {
    this.child ??= new Promise<ChildProcess>((resolve, reject) => {
      const program = this.options.program ?? PgliteProcessDatabase.childProgram();
      if (!program) return reject(new Error('the PGlite child program is not built (npm run build)'));
      const args = [this.dataDir, String(this.options.lockTimeoutMs ?? LOCK_TIMEOUT_MS), String(this.options.dbIdleCloseMs ?? DB_IDLE_CLOSE_MS)];
      const child = fork(program, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
      child.on('message', (reply: ChildReply) => {
        if ('ready' in reply) return resolve(child);
        const waiter = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if ('error' in reply) waiter?.reject(new Error(reply.error));
        else waiter?.resolve(reply.rows);
      });
      child.once('exit', (code, signal) => {
        const why = new Error(`the PGlite process ended (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`);
        this.child = undefined;
        reject(why);
        for (const waiter of this.pending.values()) waiter.reject(why);
        this.pending.clear();
      });
    });
    this.child.catch(() => (this.child = undefined));
    return this.child;
  }

  private scheduleClose(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.tail = this.tail.then(() => this.endChild());
    }, this.options.childIdleMs ?? CHILD_IDLE_MS);
    this.idleTimer.unref();
  }

  private async endChild(): Promise<void> {
    const starting = this.child;
    if (!starting) return;
    const child = await starting.catch(() => undefined);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.send({ close: true });
    await exited;
  }
}
