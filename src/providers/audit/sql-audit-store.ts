import type { Recorded } from '../../shared/decision-events';
import { auditKey, releaseOf } from './audit-key';
import { type ChainAnchor, ChainWalk, GENESIS_HASH, entryHash, type ChainRow } from './audit-chain';
import type { AppendResult, AuditAppend, AuditEntry, AuditStore, ChainReport } from './audit-store';
import { canonicalJson } from './canonical-json';
import type { Sql, SqlDatabase } from './sql-database';

/**
 * The schema, the same on PGlite and PostgreSQL. Entries are append-only: a trigger
 * refuses UPDATE and DELETE, so changing one takes a deliberate `ALTER TABLE … DISABLE
 * TRIGGER` (and `gantry audit verify` still finds the change). The head row is the
 * chain's last position and hash; appends lock it, so concurrent writers (several
 * workers on one PostgreSQL) take turns and cannot fork the chain.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS gantry_audit_entries (
    position bigint PRIMARY KEY,
    event_key text NOT NULL UNIQUE,
    release text,
    workflow_id text NOT NULL,
    run_id text NOT NULL,
    seq integer NOT NULL,
    kind text NOT NULL,
    at timestamptz NOT NULL,
    content text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS gantry_audit_entries_release ON gantry_audit_entries (release, position)',
  'CREATE INDEX IF NOT EXISTS gantry_audit_entries_at ON gantry_audit_entries (at)',
  `CREATE TABLE IF NOT EXISTS gantry_audit_head (
    id integer PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL,
    hash text NOT NULL
  )`,
  `INSERT INTO gantry_audit_head (id, position, hash) VALUES (1, 0, '${GENESIS_HASH}') ON CONFLICT (id) DO NOTHING`,
  `CREATE OR REPLACE FUNCTION gantry_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'gantry_audit_entries is append-only'; END $$`,
  `CREATE OR REPLACE TRIGGER gantry_audit_entries_append_only BEFORE UPDATE OR DELETE ON gantry_audit_entries
    FOR EACH ROW EXECUTE FUNCTION gantry_audit_append_only()`,
];

const COLUMNS = 'position, event_key, release, workflow_id, run_id, seq, kind, extract(epoch from at) * 1000 AS at_ms, content, prev_hash, hash';
const PAGE = 1000;

interface EntryRow {
  position: string | number;
  event_key: string;
  release: string | null;
  workflow_id: string;
  run_id: string;
  seq: number;
  kind: string;
  at_ms: string | number;
  content: string;
  prev_hash: string;
  hash: string;
}

/** What an entry's hash covers: the event whole, where it came from, and its key. */
interface EntryContent {
  key: string;
  release: string | null;
  namespace: string;
  workflowType: string;
  runId: string;
  workflowId: string;
  seq: number;
  kind: string;
  at: string;
  event: Recorded;
}

/** The audit store over any `SqlDatabase` (PGlite or PostgreSQL): one schema, one set of queries. */
export class SqlAuditStore implements AuditStore {
  private schema?: Promise<void>;

  constructor(private readonly database: SqlDatabase) {}

  get describe(): string {
    return this.database.describe;
  }

  async append(events: AuditAppend[]): Promise<AppendResult> {
    if (events.length === 0) return { appended: 0, skipped: 0 };
    await this.ready();
    return this.database.transaction(async (sql) => {
      const [head] = await sql<{ position: string | number; hash: string }>('SELECT position, hash FROM gantry_audit_head WHERE id = 1 FOR UPDATE');
      let position = Number(head.position);
      let hash = head.hash;
      let appended = 0;
      for (const { event, origin } of events) {
        const key = auditKey(event, origin);
        const release = releaseOf(event) ?? null;
        const content: EntryContent = { key, release, ...origin, workflowId: event.workflowId, seq: event.seq, kind: event.kind, at: event.at, event };
        const text = canonicalJson(content);
        const next = position + 1;
        const nextHash = entryHash(hash, next, text);
        // The key is unique: an event already stored (a retry, a worker killed after the
        // commit) inserts nothing and takes no position.
        const inserted = await sql(
          `INSERT INTO gantry_audit_entries (position, event_key, release, workflow_id, run_id, seq, kind, at, content, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9, $10, $11) ON CONFLICT (event_key) DO NOTHING RETURNING position`,
          [next, key, release, event.workflowId, origin.runId, event.seq, event.kind, event.at, text, hash, nextHash],
        );
        if (inserted.length === 0) continue;
        position = next;
        hash = nextHash;
        appended += 1;
      }
      if (appended > 0) await sql('UPDATE gantry_audit_head SET position = $1, hash = $2 WHERE id = 1', [position, hash]);
      return { appended, skipped: events.length - appended };
    });
  }

  async forRelease(releaseWorkflowId: string): Promise<AuditEntry[]> {
    await this.ready();
    return this.database.transaction(async (sql) =>
      (await sql<EntryRow>(`SELECT ${COLUMNS} FROM gantry_audit_entries WHERE release = $1 ORDER BY position`, [releaseWorkflowId])).map(toEntry),
    );
  }

  async between(since: Date, until: Date): Promise<AuditEntry[]> {
    await this.ready();
    return this.database.transaction(async (sql) =>
      (
        await sql<EntryRow>(`SELECT ${COLUMNS} FROM gantry_audit_entries WHERE at >= $1::timestamptz AND at < $2::timestamptz ORDER BY position`, [
          since.toISOString(),
          until.toISOString(),
        ])
      ).map(toEntry),
    );
  }

  async verify(anchors: readonly ChainAnchor[] = []): Promise<ChainReport> {
    await this.ready();
    return this.database.transaction(async (sql) => {
      // One snapshot for the head and every page, so an append meanwhile is not a "gap".
      await sql('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const [head] = await sql<{ position: string | number; hash: string }>('SELECT position, hash FROM gantry_audit_head WHERE id = 1');
      const walk = new ChainWalk(anchors);
      let after = 0;
      for (;;) {
        const rows = await sql<EntryRow>(`SELECT ${COLUMNS} FROM gantry_audit_entries WHERE position > $1 ORDER BY position LIMIT ${PAGE}`, [after]);
        if (rows.length === 0 || !rows.every((row) => walk.next(toChainRow(row)))) break;
        after = Number(rows[rows.length - 1].position);
      }
      return walk.finish({ position: Number(head.position), hash: head.hash });
    });
  }

  async ping(): Promise<{ entries: number }> {
    await this.ready();
    return this.database.transaction(async (sql) => {
      const [head] = await sql<{ position: string | number }>('SELECT position FROM gantry_audit_head WHERE id = 1');
      return { entries: Number(head.position) };
    });
  }

  close(): Promise<void> {
    return this.database.close();
  }

  /** Creates the schema once per process (under a lock, so two processes starting together do not collide). */
  private ready(): Promise<void> {
    this.schema ??= this.database
      .transaction(async (sql: Sql) => {
        await sql("SELECT pg_advisory_xact_lock(hashtext('gantry_audit_schema'))");
        for (const statement of SCHEMA) await sql(statement);
      })
      .catch((err: unknown) => {
        this.schema = undefined; // try again next time: the database may come back
        throw err;
      });
    return this.schema;
  }
}

function toEntry(row: EntryRow): AuditEntry {
  const content = JSON.parse(row.content) as EntryContent;
  return {
    position: Number(row.position),
    key: row.event_key,
    ...(row.release ? { release: row.release } : {}),
    namespace: content.namespace,
    workflowType: content.workflowType,
    runId: row.run_id,
    event: content.event,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function toChainRow(row: EntryRow): ChainRow {
  return {
    position: Number(row.position),
    key: row.event_key,
    content: row.content,
    prevHash: row.prev_hash,
    hash: row.hash,
    columns: {
      release: row.release,
      workflowId: row.workflow_id,
      runId: row.run_id,
      seq: row.seq,
      kind: row.kind,
      at: new Date(Number(row.at_ms)).toISOString(),
    },
  };
}
