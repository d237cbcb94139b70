import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PostgresDatabase } from '../../src/providers/audit/postgres-database';
import { SqlAuditStore } from '../../src/providers/audit/sql-audit-store';
import type { Recorded } from '../../src/shared/decision-events';
import { commandLines } from '../support/command-lines';
import { testServerAddress } from '../support/dev-server';
import { type RunningPostgres, startPostgres } from '../support/postgres';

/**
 * `gantry audit verify | show | export` and `gantry doctor`'s audit line, run as people
 * run them (the built CLI in a process of its own) against a real PostgreSQL, and once
 * against the embedded PGlite under the state folder.
 */
let postgres: RunningPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString();
const origin = { namespace: 'default', workflowType: 'releaseWorkflow', runId: 'run-1' };
const events: Recorded[] = [
  { kind: 'stage_entered', stage: 'build', seq: 1, at: at(0), workflowId: 'release/web/1.4.2' },
  { kind: 'message', message: 'approve', by: 'bob', via: 'update', result: 'accepted', reason: 'looks, "fine"', seq: 2, at: at(10), workflowId: 'release/web/1.4.2' },
  { kind: 'stage_entered', stage: 'build', seq: 1, at: at(20), workflowId: 'release/cart/2.0.0' },
  { kind: 'finished', outcome: 'succeeded', seq: 3, at: at(30), workflowId: 'release/web/1.4.2' },
];

async function seeded(): Promise<{ url: string; cli: ReturnType<typeof commandLines> }> {
  const url = await postgres.createDatabase();
  const store = new SqlAuditStore(new PostgresDatabase(url));
  await store.append(events.map((event) => ({ event, origin })));
  await store.close();
  const home = mkdtempSync(path.join(tmpdir(), 'gantry-audit-cli-'));
  const env = { ...process.env, GANTRY_HOME: home, GANTRY_AUDIT_DATABASE_URL: url, TEMPORAL_ADDRESS: testServerAddress() };
  return { url, cli: commandLines(home, env, testServerAddress()) };
}

describe('gantry audit (real CLI, real PostgreSQL)', () => {
  test('verify, show and export read the chain the workers wrote', async () => {
    const { cli } = await seeded();
    const verify = await cli.gantry(['audit', 'verify']);
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/^intact: 4 entries in PostgreSQL at postgres:\/\/gantry@127\.0\.0\.1:\d+\/gantry_test_\w+, head [0-9a-f]{64}\n$/) });

    const show = await cli.gantry(['audit', 'show', 'web', '1.4.2']);
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n').filter(Boolean)).toEqual([
      `     1  ${at(0)}  release/web/1.4.2 #1  stage_entered  stage=build`,
      `     2  ${at(10)}  release/web/1.4.2 #2  message  message=approve by=bob result=accepted reason=looks, "fine"`,
      `     4  ${at(30)}  release/web/1.4.2 #3  finished  outcome=succeeded`,
    ]);
    const json = JSON.parse((await cli.gantry(['audit', 'show', 'web', '1.4.2', '--json'])).stdout);
    expect(json.map((e: { position: number }) => e.position)).toEqual([1, 2, 4]);
    expect(await cli.gantry(['audit', 'show', 'web', '9.9.9'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/holds nothing about web 9\.9\.9/) });

    const exported = await cli.gantry(['audit', 'export', '--since', at(10), '--until', '2026-12-01T11:30:00+01:00', '--format', 'csv']);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.split('\r\n');
    expect(lines[0]).toBe('position,at,workflow_id,run_id,seq,kind,release,workflow_type,namespace,hash,prev_hash,event');
    expect(lines.slice(1, -1).map((l) => l.split(',').slice(0, 6).join(','))).toEqual([`2,${at(10)},release/web/1.4.2,run-1,2,message`, `3,${at(20)},release/cart/2.0.0,run-1,1,stage_entered`]);
    expect(lines[1]).toMatch(/,"\{""at"":.*""by"":""bob"".*\}"$/); // the event as JSON, quoted and its quotes doubled
    const asJson = JSON.parse((await cli.gantry(['audit', 'export', '--since', at(0), '--until', at(60)])).stdout);
    expect(asJson).toHaveLength(4);
  });

  test('an entry edited by hand in SQL: verify exits 1 and names it', async () => {
    const { url, cli } = await seeded();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('ALTER TABLE gantry_audit_entries DISABLE TRIGGER gantry_audit_entries_append_only');
    await client.query(`UPDATE gantry_audit_entries SET content = replace(content, '"by":"bob"', '"by":"mallory"') WHERE position = 2`);
    await client.end();
    const verify = await cli.gantry(['audit', 'verify']);
    expect(verify).toMatchObject({ code: 1, stdout: expect.stringMatching(/^NOT intact: entry 2 does not match its hash \(its content was edited\) \(entry 2: release\/web\/1\.4\.2#run-1#2\); 1 entries before it are intact/) });
    expect(JSON.parse((await cli.gantry(['audit', 'verify', '--json'])).stdout)).toMatchObject({ intact: false, firstBad: { position: 2 } });
  });

  test('--anchors: the first verify keeps the head in a file; a later one checks it, and finds a history rewritten under it', async () => {
    const { url, cli } = await seeded();
    const anchors = path.join(mkdtempSync(path.join(tmpdir(), 'gantry-anchors-')), 'anchors.txt');
    const first = await cli.gantry(['audit', 'verify', '--anchors', anchors]);
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`head [0-9a-f]{64}\nanchored entry 4 in ${anchors}\n$`)) });
    const kept = readFileSync(anchors, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(kept).toEqual([expect.stringMatching(/^4 [0-9a-f]{64} \d{4}-\d\d-\d\dT[\d:.]+Z$/)]);
    const again = await cli.gantry(['audit', 'verify', '--anchors', anchors]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/; 1 anchor kept outside it match\n$/) });
    expect(readFileSync(anchors, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(kept); // the head did not move: nothing added

    // The last two entries replaced by others, every hash recomputed through the store: the chain alone looks intact.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('ALTER TABLE gantry_audit_entries DISABLE TRIGGER gantry_audit_entries_append_only');
    const [second] = (await client.query('SELECT hash FROM gantry_audit_entries WHERE position = 2')).rows as { hash: string }[];
    await client.query('DELETE FROM gantry_audit_entries WHERE position >= 3');
    await client.query('UPDATE gantry_audit_head SET position = 2, hash = $1', [second.hash]);
    await client.end();
    const store = new SqlAuditStore(new PostgresDatabase(url));
    await store.append([{ event: { kind: 'finished', outcome: 'rolled_back', seq: 4, at: at(40), workflowId: 'release/web/1.4.2' }, origin }, { event: events[3], origin }]);
    await store.close();
    expect(await cli.gantry(['audit', 'verify'])).toMatchObject({ code: 0 });
    const caught = await cli.gantry(['audit', 'verify', '--anchors', anchors]);
    expect(caught).toMatchObject({ code: 1, stdout: expect.stringMatching(/^NOT intact: entry 4 is not the one anchored at that position/) });
    expect(readFileSync(anchors, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))).toEqual(kept); // nothing anchored on a broken chain
  });

  test('--anchors: a file that is not an anchor file exits 2 naming the line, and is left as it was', async () => {
    const { cli } = await seeded();
    const anchors = path.join(mkdtempSync(path.join(tmpdir(), 'gantry-anchors-')), 'anchors.txt');
    writeFileSync(anchors, '# kept by the auditor\n4 not-a-hash\n');
    const result = await cli.gantry(['audit', 'verify', '--anchors', anchors]);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`${anchors}:2: "4 not-a-hash" is not an anchor`) });
    expect(readFileSync(anchors, 'utf8')).toBe('# kept by the auditor\n4 not-a-hash\n');
  });

  test.each([
    [['audit', 'export', '--until', '2026-12-02T00:00:00Z'], /--since is required/],
    [['audit', 'export', '--since', '2026-12-01', '--until', '2026-12-02T00:00:00Z'], /--since "2026-12-01" is not an ISO 8601 instant with a zone/],
    [['audit', 'export', '--since', '2026-12-02T00:00:00Z', '--until', '2026-12-01T00:00:00Z'], /--until .* must be after --since/],
    [['audit', 'export', '--since', '2026-12-01T00:00:00Z', '--until', '2026-12-02T00:00:00Z', '--format', 'xml'], /--format "xml" is not one of json, csv/],
  ])('bad input exits 2 naming the flag: %j', async (args, message) => {
    const { cli } = await seeded();
    expect(await cli.gantry(args)).toMatchObject({ code: 2, stderr: expect.stringMatching(message) });
  });

  test('an audit database URL that does not connect: verify exits 3, doctor says so and exits 1; one that cannot be a PostgreSQL URL is exit 2', async () => {
    const { cli } = await seeded();
    const down = { GANTRY_AUDIT_DATABASE_URL: 'postgres://gantry:secret@127.0.0.1:1/gantry' };
    expect(await cli.gantry(['audit', 'verify'], down)).toMatchObject({ code: 3, stderr: expect.stringMatching(/does not answer: connect ECONNREFUSED/) });
    const doctor = await cli.gantry(['doctor'], down);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/Audit store\s+does not answer: PostgreSQL at postgres:\/\/gantry:\*\*\*@127\.0\.0\.1:1\/gantry: connect ECONNREFUSED .*releases wait for it/);
    expect(doctor.stdout).not.toContain('secret');
    expect(doctor.stdout).toMatch(/the audit store does not answer \(exit 1\)/);
    expect(await cli.gantry(['doctor'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/Audit store\s+PostgreSQL at .* answers \(4 entries\)/) });
    expect(await cli.gantry(['audit', 'verify'], { GANTRY_AUDIT_DATABASE_URL: 'mysql://x@h/db' })).toMatchObject({ code: 2, stderr: expect.stringMatching(/GANTRY_AUDIT_DATABASE_URL must be a postgres/) });
  });

  test('without a URL the CLI reads the embedded PGlite store under GANTRY_HOME', async () => {
    const { cli } = await seeded();
    const verify = await cli.gantry(['audit', 'verify'], { GANTRY_AUDIT_DATABASE_URL: '' });
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/^intact: 0 entries in PGlite in .*gantry-audit-cli-.*\/audit\/pglite/) });
  });
});
