import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { AuditAppend, AuditStore } from '../../src/providers/audit/audit-store';
import { GENESIS_HASH, entryHash } from '../../src/providers/audit/audit-chain';
import { PgliteDatabase } from '../../src/providers/audit/pglite-database';
import { PgliteProcessDatabase } from '../../src/providers/audit/pglite-process-database';
import { PostgresDatabase } from '../../src/providers/audit/postgres-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import type { Recorded } from '../../src/shared/decision-events';
import { type RunningPostgres, startPostgres } from '../support/postgres';

/**
 * Run with NODE_OPTIONS=--experimental-vm-modules (npm test sets it): PGlite loads Node
 * builtins with import(), which jest's module sandbox serves only with that flag.
 *
 * The audit store against both of its databases, with the same table of cases: PGlite in
 * a temp folder, and a real PostgreSQL started for this file. Tampering is done by hand
 * in SQL, as someone with access to the database would.
 */

interface Backend {
  /** A store on a database of its own. */
  store(): Promise<{ store: AuditStore; another(): AuditStore; tamper(statements: string[]): Promise<void> }>;
}

let postgres: RunningPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const pglite: Backend = {
  async store() {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gantry-audit-pglite-')), 'pglite');
    const open = () => new SqlAuditStore(new PgliteDatabase(dir, { idleCloseMs: 50 }));
    const store = open();
    return {
      store,
      another: open,
      async tamper(statements) {
        await store.close(); // one process per data folder: let go of it first
        const db = new PGlite(dir);
        try {
          for (const statement of statements) await db.exec(statement);
        } finally {
          await db.close();
        }
      },
    };
  },
};

/** PGlite as a worker runs it: in a child process (the compiled program; `npm run build` first). */
const pgliteChild: Backend = {
  async store() {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gantry-audit-pglite-')), 'pglite');
    const program = path.join(__dirname, '..', '..', 'dist', 'providers', 'audit', 'pglite-child.js');
    if (!existsSync(program)) throw new Error(`${program} is not built: npm run build`);
    const open = () => new SqlAuditStore(new PgliteProcessDatabase(dir, { program, dbIdleCloseMs: 50 }));
    const store = open();
    return {
      store,
      another: open,
      async tamper(statements) {
        await store.close(); // ends the child: the folder is free
        const db = new PGlite(dir);
        try {
          for (const statement of statements) await db.exec(statement);
        } finally {
          await db.close();
        }
      },
    };
  },
};

const postgresql: Backend = {
  async store() {
    const url = await postgres.createDatabase();
    const open = () => new SqlAuditStore(new PostgresDatabase(url));
    return {
      store: open(),
      another: open,
      async tamper(statements) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          for (const statement of statements) await client.query(statement);
        } finally {
          await client.end();
        }
      },
    };
  },
};

const origin = { namespace: 'default', workflowType: 'releaseWorkflow', runId: 'run-1' };
const at = (n: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, n)).toISOString();

function releaseEvents(count: number, from = 1): AuditAppend[] {
  return Array.from({ length: count }, (_, i) => ({
    origin,
    event: { kind: 'stage_entered', stage: i % 2 ? 'build' : 'test', seq: from + i, at: at(from + i), workflowId: 'release/web/1.4.2' } as Recorded,
  }));
}

const rolloutEvent: AuditAppend = {
  origin: { namespace: 'default', workflowType: 'canaryRolloutWorkflow', runId: 'run-r' },
  event: { kind: 'phase', phase: 'verifying', seq: 1, at: at(30), workflowId: 'rollout/web/production/1.4.2' } as Recorded,
};
const otherRelease: AuditAppend = {
  origin: { namespace: 'default', workflowType: 'releaseWorkflow', runId: 'run-9' },
  event: { kind: 'stage_entered', stage: 'build', seq: 1, at: at(40), workflowId: 'release/cart/2.0.0' } as Recorded,
};
const refusal: AuditAppend = {
  origin,
  event: { kind: 'message', message: 'approve', by: 'eve', via: 'update', result: 'refused', refusal: 'eve is not an approver', seq: 0, at: at(50), workflowId: 'release/web/1.4.2' } as Recorded,
};

const DISABLE_GUARD = 'ALTER TABLE gantry_audit_entries DISABLE TRIGGER gantry_audit_entries_append_only';

describe.each([
  ['PGlite', pglite],
  ['PGlite in a child process', pgliteChild],
  ['PostgreSQL', postgresql],
])('audit store on %s', (_name, backend) => {
  test('appends in order, once per event: a re-append (a retried activity) stores nothing again', async () => {
    const { store } = await backend.store();
    try {
      expect(await store.append(releaseEvents(3))).toEqual({ appended: 3, skipped: 0 });
      expect(await store.append([...releaseEvents(4), rolloutEvent, otherRelease, refusal, refusal])).toEqual({ appended: 4, skipped: 4 });
      expect(await store.ping()).toEqual({ entries: 7 });

      const web = await store.forRelease('release/web/1.4.2');
      expect(web.map((e) => [e.position, e.event.workflowId, e.event.seq])).toEqual([
        [1, 'release/web/1.4.2', 1],
        [2, 'release/web/1.4.2', 2],
        [3, 'release/web/1.4.2', 3],
        [4, 'release/web/1.4.2', 4],
        [5, 'rollout/web/production/1.4.2', 1],
        [7, 'release/web/1.4.2', 0],
      ]);
      expect(web[0]).toMatchObject({ prevHash: GENESIS_HASH, runId: 'run-1', workflowType: 'releaseWorkflow', release: 'release/web/1.4.2' });
      expect(web[1].prevHash).toBe(web[0].hash);
      expect(web[4].event).toEqual(rolloutEvent.event);

      const window = await store.between(new Date(at(2)), new Date(at(40)));
      expect(window.map((e) => e.position)).toEqual([2, 3, 4, 5]);
      expect(await store.verify()).toEqual({ intact: true, entries: 7, head: expect.stringMatching(/^[0-9a-f]{64}$/) });
    } finally {
      await store.close();
    }
  });

  test('two writers at once (two workers) take turns: one chain, no fork, nothing twice', async () => {
    const { store, another } = await backend.store();
    const second = another();
    try {
      const mine = releaseEvents(20);
      const theirs = releaseEvents(20).map((a) => ({ origin: { ...a.origin, runId: 'run-2' }, event: a.event }));
      const results = await Promise.all([
        ...mine.map((a) => store.append([a])),
        ...theirs.map((a) => second.append([a])),
        store.append(mine.slice(0, 5)),
        second.append(mine.slice(0, 5)),
      ]);
      expect(results.reduce((sum, r) => sum + r.appended, 0)).toBe(40);
      expect(await store.verify()).toMatchObject({ intact: true, entries: 40 });
    } finally {
      await store.close();
      await second.close();
    }
  });

  test('entries are append-only: an UPDATE or DELETE is refused by the database', async () => {
    const { store, tamper } = await backend.store();
    await store.append(releaseEvents(2));
    await expect(tamper(["UPDATE gantry_audit_entries SET kind = 'x' WHERE position = 1"])).rejects.toThrow(/append-only/);
    await expect(tamper(['DELETE FROM gantry_audit_entries WHERE position = 2'])).rejects.toThrow(/append-only/);
    expect(await store.verify()).toMatchObject({ intact: true, entries: 2 });
    await store.close();
  });

  const forged = (position: number, prevHash: string, content: string, hash = entryHash(prevHash, position, content)) =>
    `INSERT INTO gantry_audit_entries (position, event_key, release, workflow_id, run_id, seq, kind, at, content, prev_hash, hash)
     VALUES (${position}, 'forged#${position}', 'release/web/1.4.2', 'release/web/1.4.2', 'run-1', 99, 'finished', '${at(59)}', '${content}', '${prevHash}', '${hash}')`;

  test.each<[string, (entries: { hash: string; prevHash: string }[]) => string[], number, RegExp]>([
    ['content edited', () => [`UPDATE gantry_audit_entries SET content = replace(content, '"stage":"test"', '"stage":"production"') WHERE position = 3`], 3, /content was edited/],
    ['a column edited', () => [`UPDATE gantry_audit_entries SET release = 'release/web/9.9.9' WHERE position = 2`], 2, /release column disagrees/],
    ['an entry removed', () => ['DELETE FROM gantry_audit_entries WHERE position = 3'], 3, /entry 3 is missing \(removed\)/],
    ['the last entry removed', () => ['DELETE FROM gantry_audit_entries WHERE position = 5'], 5, /removed from the end/],
    ['a forged entry inserted at the end, its hash recomputed', (e) => [forged(6, e[4].hash, `{"at":"${at(59)}","key":"forged#6","kind":"finished","release":"release/web/1.4.2","runId":"run-1","seq":99,"workflowId":"release/web/1.4.2"}`)], 6, /past the chain's head/],
    ['a forged entry inserted in the middle, the rest moved up', () => ['UPDATE gantry_audit_entries SET position = position + 10 WHERE position >= 3', 'UPDATE gantry_audit_entries SET position = position - 9 WHERE position >= 13', forged(3, GENESIS_HASH, '{}', 'f'.repeat(64))], 3, /entry 3 does not follow entry 2/],
    ['two entries swapped', () => ['UPDATE gantry_audit_entries SET position = -2 WHERE position = 2', 'UPDATE gantry_audit_entries SET position = 2 WHERE position = 4', 'UPDATE gantry_audit_entries SET position = 4 WHERE position = -2'], 2, /entry 2 does not follow entry 1/],
  ])('tampering by hand in SQL is found and the first bad entry named: %s', async (_case, statements, position, problem) => {
    const { store, tamper } = await backend.store();
    await store.append(releaseEvents(5));
    const entries = await store.forRelease('release/web/1.4.2');
    await tamper([DISABLE_GUARD, ...statements(entries)]);
    const report = await store.verify();
    expect(report).toMatchObject({ intact: false, firstBad: { position, problem: expect.stringMatching(problem) } });
    await store.close();
  });

  test('a history rewritten from an entry on, every hash recomputed, looks intact alone; a head anchored outside the store finds it', async () => {
    const { store, another, tamper } = await backend.store();
    await store.append(releaseEvents(5));
    const original = await store.forRelease('release/web/1.4.2');
    const anchor = { position: 4, hash: original[3].hash };
    expect(await store.verify([anchor])).toEqual({ intact: true, entries: 5, head: original[4].hash, anchorsChecked: 1 });

    // Someone who can write the database drops entries 3 to 5 and appends others through the store, which chains them anew.
    await tamper([DISABLE_GUARD, 'DELETE FROM gantry_audit_entries WHERE position >= 3', `UPDATE gantry_audit_head SET position = 2, hash = '${original[1].hash}'`]);
    const rewriter = another();
    await rewriter.append(releaseEvents(3, 10));
    expect(await rewriter.verify()).toMatchObject({ intact: true, entries: 5 });
    expect(await rewriter.verify([anchor])).toMatchObject({ intact: false, firstBad: { position: 4, problem: expect.stringMatching(/^entry 4 is not the one anchored at that position .*: the chain was rewritten at or before it/) } });
    await rewriter.close();

    // Cut short below an anchor, head moved back with it: also found.
    const rewritten = await another().forRelease('release/web/1.4.2');
    await tamper([DISABLE_GUARD, 'DELETE FROM gantry_audit_entries WHERE position >= 4', `UPDATE gantry_audit_head SET position = 3, hash = '${rewritten[2].hash}'`]);
    const reader = another();
    expect(await reader.verify()).toMatchObject({ intact: true, entries: 3 });
    expect(await reader.verify([{ position: 5, hash: rewritten[4].hash }])).toMatchObject({
      intact: false,
      firstBad: { position: 4, problem: 'entry 5 was anchored, but the chain holds only 3 entries (removed from its end)' },
    });
    await reader.close();
  });
});

describe('a new PGlite folder', () => {
  test('is seeded from an empty cluster made once in the cache: every store starts empty, and its entries are its own', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'gantry-cache-'));
    const folder = () => path.join(mkdtempSync(path.join(tmpdir(), 'gantry-audit-pglite-')), 'pglite');
    const [first, second] = [folder(), folder()];
    const previous = process.env.GANTRY_CACHE_DIR;
    process.env.GANTRY_CACHE_DIR = cache;
    try {
      const one = new SqlAuditStore(new PgliteDatabase(first, { idleCloseMs: 50 }));
      await one.append(releaseEvents(2));
      await one.close();
      const templates = readdirSync(path.join(cache, 'pglite-empty-cluster'));
      expect(templates).toHaveLength(1); // one per PGlite version, and no half-made one left
      expect(templates[0]).toMatch(/^\d+\.\d+\.\d+/);

      const two = new SqlAuditStore(new PgliteDatabase(second, { idleCloseMs: 50 }));
      expect(await two.ping()).toEqual({ entries: 0 });
      await two.append(releaseEvents(1));
      expect(await two.ping()).toEqual({ entries: 1 });
      await two.close();
      const reopened = new SqlAuditStore(new PgliteDatabase(first, { idleCloseMs: 50 }));
      expect(await reopened.ping()).toEqual({ entries: 2 });
      await reopened.close();
      expect(existsSync(`${second}.seeding`)).toBe(false);
    } finally {
      if (previous === undefined) delete process.env.GANTRY_CACHE_DIR;
      else process.env.GANTRY_CACHE_DIR = previous;
    }
  }, 60_000);
});
