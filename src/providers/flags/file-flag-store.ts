import { EventEmitter } from 'node:events';
import { type FSWatcher, mkdirSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { FLAGD_SCHEMA_URL, type FlagDocument } from '../../policy/flags/flag-document';
import { validateFlagDocument } from '../../policy/flags/validate-flag-document';
import { acquireFileLock } from '../audit/exclusive-file-lock';
import { gantryHome } from '../state-dir';
import { writeFileAtomically } from '../write-file-atomically';
import { FlagRevisionConflict, type FlagSnapshot, type FlagStore, type FlagWriteOptions, InvalidFlagDocument } from './flag-store';

/**
 * The embedded flag store: `<GANTRY_HOME>/flags/flags.json`, a plain flagd document that
 * the stock provider can also read directly (`offlineFlagSourcePath`, file mode). The
 * revision travels inside it as `metadata.gantryRevision`, so document and revision are
 * written by one rename and can never disagree; flagd hands flag-set metadata to the
 * application with every evaluation, which tells it which revision answered.
 *
 * Writes take a lock file beside the document (shared with other processes), read the
 * current revision, write through a temporary file and rename it over the document.
 */

export const REVISION_KEY = 'gantryRevision';

const LOCK_TIMEOUT_MS = 10_000;

export function flagsFile(home: string = gantryHome()): string {
  return path.join(home, 'flags', 'flags.json');
}

export interface FileFlagStoreOptions {
  /** The document; defaults to `<GANTRY_HOME>/flags/flags.json`. */
  file?: string;
  /** How long a writer waits for another one before giving up. */
  lockTimeoutMs?: number;
  /** Watch the file for writes by other processes (default true). */
  watch?: boolean;
}

/** Opens the store, creating an empty document (revision 0) when there is none yet. */
export async function openFileFlagStore(options: FileFlagStoreOptions = {}): Promise<FlagStore> {
  const store = new FileFlagStore(options.file ?? flagsFile(), options.lockTimeoutMs ?? LOCK_TIMEOUT_MS);
  await store.initialise(options.watch ?? true);
  return store;
}

class FileFlagStore implements FlagStore {
  private readonly events = new EventEmitter();
  private readonly lockFile: string;
  private watcher: FSWatcher | undefined;
  private latest: FlagSnapshot | undefined;

  constructor(
    private readonly file: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.lockFile = `${file}.lock`;
    // Every open sync stream listens; more than ten is normal, not a leak.
    this.events.setMaxListeners(0);
  }

  async initialise(watchForOthers: boolean): Promise<void> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const existing = this.readFromDisk();
    if (existing) this.latest = existing;
    else await this.locked(() => this.readFromDisk() ?? this.commit({ $schema: FLAGD_SCHEMA_URL, flags: {} }, 0));
    if (watchForOthers) this.watchFolder();
  }

  async read(): Promise<FlagSnapshot> {
    const snapshot = this.readFromDisk();
    if (!snapshot) throw new Error(`the flag document ${this.file} is gone; it is created when the store opens: open the store again or restore the file`);
    return snapshot;
  }

  write(document: FlagDocument, options: FlagWriteOptions = {}): Promise<FlagSnapshot> {
    return this.locked(() => {
      const current = this.mustRead();
      if (options.expectedRevision !== undefined && options.expectedRevision !== current.revision) {
        throw new FlagRevisionConflict(options.expectedRevision, current.revision);
      }
      return this.commit(document, current.revision + 1);
    });
  }

  update(change: (current: FlagDocument) => FlagDocument): Promise<FlagSnapshot> {
    return this.locked(() => {
      const current = this.mustRead();
      return this.commit(change(structuredClone(current.document)), current.revision + 1);
    });
  }

  onChange(listener: (snapshot: FlagSnapshot) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.events.removeAllListeners();
  }

  private async locked<T>(action: () => T): Promise<T> {
    const release = await acquireFileLock(this.lockFile, { timeoutMs: this.lockTimeoutMs, what: 'the flag store' });
    try {
      return action();
    } finally {
      release();
    }
  }

  /** Validates, stamps the revision, renames into place and tells the listeners. */
  private commit(document: FlagDocument, revision: number): FlagSnapshot {
    const checked = validateFlagDocument(document);
    if (!checked.ok) throw new InvalidFlagDocument(checked.problems);
    const stamped: FlagDocument = { ...checked.document, metadata: { ...checked.document.metadata, [REVISION_KEY]: revision } };
    const text = `${JSON.stringify(stamped, null, 2)}\n`;
    writeFileAtomically(this.file, text);
    const snapshot = { document: stamped, revision, text };
    this.publish(snapshot);
    return snapshot;
  }

  private mustRead(): FlagSnapshot {
    return this.readFromDisk() ?? { document: { flags: {} }, revision: 0, text: '{"flags":{}}\n' };
  }

  private readFromDisk(): FlagSnapshot | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    let document: FlagDocument;
    try {
      document = JSON.parse(text) as FlagDocument;
    } catch (err) {
      throw new Error(`the flag document ${this.file} is not JSON (${(err as Error).message}); it was edited by hand: fix it, or write it through the store`);
    }
    const revision = document.metadata?.[REVISION_KEY];
    return { document, revision: typeof revision === 'number' ? revision : 0, text };
  }

  /** Only ever forward: a late watcher event must not announce an older revision. */
  private publish(snapshot: FlagSnapshot): void {
    if (this.latest && snapshot.revision <= this.latest.revision) return;
    this.latest = snapshot;
    this.events.emit('change', snapshot);
  }

  /**
   * Watches the folder, not the file: a rename replaces the file's inode, which a watch
   * on the file itself stops seeing after the first write.
   */
  private watchFolder(): void {
    const name = path.basename(this.file);
    this.watcher = watch(path.dirname(this.file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      try {
        const snapshot = this.readFromDisk();
        if (snapshot) this.publish(snapshot);
      } catch {
        // A hand edit that does not parse: keep serving the last good revision.
      }
    });
    this.watcher.unref();
  }
}
