import { type OpenPglite, openPgliteFolder } from './pglite-folder';

/**
 * The process a worker runs PGlite in (see `PgliteProcessDatabase`): it runs the
 * statements its parent sends one at a time, opening the data folder (under its lock)
 * when a transaction begins and closing it (letting go of the lock, so `gantry audit`
 * can read) once no transaction has come for `dbIdleMs`. Reopening in a process that
 * has already opened it once is quick (PGlite's WebAssembly is compiled), so the child
 * stays while decisions keep coming; its parent ends it after a longer quiet, and it
 * exits by itself when its parent goes away (a killed worker), with whatever
 * transaction was open rolled back.
 *
 * Messages in: { id, sql, params } (BEGIN, COMMIT and ROLLBACK are statements too) and
 * { close: true }. Out: { ready: true }, then { id, rows } or { id, error }.
 */
export type ChildRequest = { id: number; sql: string; params?: unknown[] } | { close: true };
export type ChildReply = { ready: true } | { id: number; rows: unknown[] } | { id: number; error: string };

function serve(dataDir: string, lockTimeoutMs: number, dbIdleMs: number): void {
  const send = (reply: ChildReply) => process.send?.(reply);
  let open: OpenPglite | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let tail = Promise.resolve();

  const openDb = async (): Promise<OpenPglite['db']> => {
    open ??= await openPgliteFolder(dataDir, { lockTimeoutMs });
    return open.db;
  };
  const closeDb = async (): Promise<void> => {
    const current = open;
    open = undefined;
    await current?.close();
  };
  const exit = () => {
    clearTimeout(idleTimer);
    void closeDb().finally(() => process.exit(0));
  };

  process.on('disconnect', exit);
  process.on('message', (request: ChildRequest) => {
    clearTimeout(idleTimer);
    if ('close' in request) {
      tail = tail.then(exit);
      return;
    }
    tail = tail.then(async () => {
      try {
        const db = await openDb();
        send({ id: request.id, rows: (await db.query(request.sql, request.params)).rows });
      } catch (err) {
        send({ id: request.id, error: (err as Error).message });
      }
      // Between transactions, let go of the folder once quiet, so the CLI can read it.
      if (/^(COMMIT|ROLLBACK)$/i.test(request.sql)) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => (tail = tail.then(closeDb)), dbIdleMs);
      }
    });
  });
  send({ ready: true });
}

if (require.main === module) serve(process.argv[2], Number(process.argv[3]), Number(process.argv[4]));
