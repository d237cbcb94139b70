import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { gantryCacheDir } from '../../dev/cache-dir';
import { acquireFileLock } from './exclusive-file-lock';

export interface OpenPglite {
  db: PGlite;
  /** Closes the database, then lets go of the folder's lock. */
  close(): Promise<void>;
}

/**
 * Opens the PGlite data folder under its exclusive lock (PGlite allows one process per
 * folder). A folder that does not exist yet is seeded from an empty cluster kept in the
 * cache: PGlite's initdb costs about 5 s of CPU (measured), a copy of its result about
 * 0.2 s, and every new state folder (each worker, each test) would otherwise pay it.
 */
export async function openPgliteFolder(dataDir: string, options: { lockTimeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<OpenPglite> {
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const unlock = await acquireFileLock(`${dataDir}.lock`, { timeoutMs: options.lockTimeoutMs, what: `the audit store ${dataDir}` });
  try {
    if (!existsSync(dataDir)) await seedFromTemplate(dataDir, options.env ?? process.env);
    const db = new PGlite(dataDir);
    await db.waitReady;
    return {
      db,
      async close() {
        try {
          await db.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

/** Copies the cached empty cluster into `dataDir` (made on first use); a copy interrupted half-way never becomes the folder. */
async function seedFromTemplate(dataDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const template = await emptyClusterTemplate(env);
  const partial = `${dataDir}.seeding`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(template, partial, { recursive: true });
  renameSync(partial, dataDir);
}

/**
 * An empty cluster made by this PGlite version, in the cache outside any state folder.
 * Made in a folder of its own and renamed into place, so processes racing to make it
 * never see half of one (the loser's copy is dropped).
 */
async function emptyClusterTemplate(env: NodeJS.ProcessEnv): Promise<string> {
  const root = path.join(gantryCacheDir(env), 'pglite-empty-cluster');
  const template = path.join(root, pgliteVersion());
  if (existsSync(template)) return template;
  mkdirSync(root, { recursive: true });
  const making = mkdtempSync(path.join(root, '.making-'));
  try {
    const db = new PGlite(making);
    await db.waitReady;
    await db.close();
    try {
      renameSync(making, template);
    } catch (err) {
      if (!existsSync(template)) throw err;
    }
  } finally {
    rmSync(making, { recursive: true, force: true });
  }
  return template;
}

/** The installed PGlite's version: clusters are only reused by the version that made them. */
function pgliteVersion(): string {
  // The package does not export its package.json; it sits above the entry point's dist folder.
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}
