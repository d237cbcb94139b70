import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openFileFlagStore } from '../../src/providers/flags/file-flag-store';
import { FlagRevisionConflict, type FlagSnapshot, type FlagStore, InvalidFlagDocument } from '../../src/providers/flags/flag-store';
import { allowList, darkFlag, percentage } from './fixtures';
import { flagdAccepts } from './flagd-validator';

const run = promisify(execFile);
const DIST_STORE = path.join(__dirname, '..', '..', 'dist', 'providers', 'flags', 'file-flag-store.js');

describe('the file flag store', () => {
  let dir: string;
  let file: string;
  let store: FlagStore;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gantry-flags-'));
    file = path.join(dir, 'flags', 'flags.json');
    store = await openFileFlagStore({ file });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('starts as an empty flagd document at revision 0 that the provider can already read', async () => {
    const snapshot = await store.read();
    expect(snapshot.revision).toBe(0);
    expect(snapshot.document).toEqual({ $schema: 'https://flagd.dev/schema/v0/flags.json', flags: {}, metadata: { gantryRevision: 0 } });
    expect(flagdAccepts(readFileSync(file, 'utf8'))).toEqual({ ok: true });
  });

  test('each write returns the next revision; readers get the whole document, exactly as flagd reads it', async () => {
    const first = await store.write(darkFlag());
    const second = await store.write(allowList(), { expectedRevision: 1 });
    expect([first.revision, second.revision]).toEqual([1, 2]);
    const read = await store.read();
    expect(read.revision).toBe(2);
    expect(read.document.flags).toEqual(allowList().flags);
    expect(read.text).toBe(readFileSync(file, 'utf8'));
    expect(flagdAccepts(read.text)).toEqual({ ok: true });
    // Nothing is left beside the document: no temporary file, no lock.
    expect(readdir(dir)).toEqual(['flags.json']);
  });

  test('an invalid document is refused with the field and the fix, and nothing changes', async () => {
    await store.write(darkFlag());
    const before = readFileSync(file, 'utf8');
    const bad = darkFlag();
    bad.flags['new-checkout'].defaultVariant = 'of';
    const refused = store.write(bad);
    await expect(refused).rejects.toThrow(InvalidFlagDocument);
    await expect(refused).rejects.toThrow('flags.new-checkout.defaultVariant: is "of", which is not a variant of this flag: use one of on, off');
    await expect(store.write(percentage(30).flags['new-checkout'] as never)).rejects.toThrow(/flags: is missing/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((await store.read()).revision).toBe(1);
  });

  test('a write on a stale revision is refused (compare-and-set)', async () => {
    await store.write(darkFlag());
    await store.write(allowList());
    const stale = store.write(percentage(5), { expectedRevision: 1 });
    await expect(stale).rejects.toThrow(FlagRevisionConflict);
    await expect(stale).rejects.toThrow('the flags changed since revision 1 (now 2): read them again, reapply your change and write with expectedRevision 2');
  });

  test('concurrent updates in one process all land, each with its own revision', async () => {
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        store.update((doc) => ({ ...doc, flags: { ...doc.flags, [`f${i}`]: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' } } })),
      ),
    );
    expect(results.map((r) => r.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const read = await store.read();
    expect(read.revision).toBe(25);
    expect(Object.keys(read.document.flags)).toHaveLength(25);
  });

  test('listeners hear each write in this process, newest last', async () => {
    const heard: number[] = [];
    const stop = store.onChange((snapshot) => heard.push(snapshot.revision));
    await store.write(darkFlag());
    await store.write(allowList());
    stop();
    await store.write(percentage(5));
    expect(heard).toEqual([1, 2]);
  });

  describe('two processes writing at once (compiled store: npm run build)', () => {
    beforeAll(() => {
      if (!existsSync(DIST_STORE)) throw new Error(`${DIST_STORE} is not built: npm run build`);
    });

    const writer = (name: string, count: number) =>
      run(process.execPath, [
        '-e',
        `const { openFileFlagStore } = require(${JSON.stringify(DIST_STORE)});
         (async () => {
           const store = await openFileFlagStore({ file: process.argv[1], watch: false });
           for (let i = 0; i < ${count}; i++) {
             await store.update((doc) => ({ ...doc, flags: { ...doc.flags, ['${name}-' + i]: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' } } }));
           }
           store.close();
         })().catch((err) => { console.error(err); process.exit(1); });`,
        file,
      ]);

    test('no write is lost or torn, and a watcher in a third process sees the revisions go up', async () => {
      const heard: FlagSnapshot[] = [];
      store.onChange((snapshot) => heard.push(snapshot));
      const torn: string[] = [];
      let reading = true;
      const reader = (async () => {
        while (reading) {
          try {
            JSON.parse(readFileSync(file, 'utf8'));
          } catch (err) {
            torn.push((err as Error).message);
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await Promise.all([writer('a', 30), writer('b', 30), store.update((doc) => ({ ...doc, metadata: { ...doc.metadata, owner: 'test' } }))]);
      await waitUntil(() => heard.some((s) => s.revision === 61));
      reading = false;
      await reader;

      const read = await store.read();
      expect(read.revision).toBe(61);
      expect(Object.keys(read.document.flags)).toHaveLength(60);
      expect(read.document.metadata).toMatchObject({ owner: 'test' });
      expect(torn).toEqual([]);
      const revisions = heard.map((s) => s.revision);
      expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
      expect(new Set(revisions).size).toBe(revisions.length);
    });
  });
});

function readdir(dir: string): string[] {
  return readdirSync(path.join(dir, 'flags'));
}

async function waitUntil(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
