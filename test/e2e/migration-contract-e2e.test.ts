import { rmSync } from 'node:fs';
import path from 'node:path';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import YAML from 'yaml';
import { releaseWorkflowId } from '../../src/shared/ids';
import { statusQuery } from '../../src/shared/messages';
import type { ReleaseStatus } from '../../src/shared/release';
import { startE2EStack, type E2EStack } from '../support/e2e-stack';
import { type RunningPostgres, startPostgres } from '../support/postgres';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Expand → deploy → contract, end to end: the real CLI, a dev server, a worker and a real
 * PostgreSQL with one database per environment. The rollback window is 15 s rather than a
 * day: admission reads git and the databases, which the time-skipping server cannot run,
 * so the window passes in real time on the dev server.
 *
 * The story: orders have an `item` column; 1.1.0 adds `product` (expand), 1.2.0 is the
 * code that reads `product` only, and the contract step drops `item` once 1.2.0 has run
 * in staging and production for the window.
 */
const SERVICE = 'abacus';
const WINDOW_MS = 15_000;
let stack: E2EStack;
let postgres: RunningPostgres;
const databases: Record<string, string> = {};

beforeAll(async () => {
  postgres = await startPostgres();
  databases.staging = await postgres.createDatabase();
  databases.production = await postgres.createDatabase();
  // The worker process inherits them: it reads the URLs from its environment.
  process.env.GANTRY_DB_ABACUS_STAGING = databases.staging;
  process.env.GANTRY_DB_ABACUS_PRODUCTION = databases.production;
  stack = await startE2EStack('contract', {
    editConfig: (text) => {
      const doc = YAML.parse(text);
      const service = doc.services.web;
      service.approval = { approvers: ['bob', 'carol'], minApprovals: 1, timeout: '1h' };
      service.migrations = { directory: 'migrations', lockTimeout: '2s', statementTimeout: '10s', rollbackWindow: `${WINDOW_MS / 1000}s` };
      doc.services = { [SERVICE]: service };
      return YAML.stringify(doc);
    },
    // The real `gantry worker`: the migration runner's ES-module import cannot run inside jest's module sandbox.
    workerProcess: true,
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await postgres?.stop();
  delete process.env.GANTRY_DB_ABACUS_STAGING;
  delete process.env.GANTRY_DB_ABACUS_PRODUCTION;
});

async function columns(environment: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databases[environment] });
  await client.connect();
  try {
    return (await client.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position")).rows.map((r) => r.column_name as string);
  } finally {
    await client.end();
  }
}

const status = (version: string) => stack.client.workflow.getHandle(releaseWorkflowId(SERVICE, version)).query(statusQuery);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the release's status until `until` holds (or it ended). */
async function waitForStatus(version: string, until: (s: ReleaseStatus) => boolean): Promise<ReleaseStatus> {
  for (;;) {
    const s = await status(version).catch(() => undefined);
    if (s && (until(s) || s.outcome)) return s;
    await sleep(250);
  }
}

/** Starts a release and approves it as bob whenever it waits for approval. */
async function releaseApproved(version: string, commit: string) {
  const { done } = stack.spawnGantry(['release', 'start', '--service', SERVICE, '--version', version, '--commit', commit, '--author', 'alice', '--wait', '--json']);
  let finished = false;
  const approver = (async () => {
    while (!finished) {
      const s = await status(version).catch(() => undefined);
      if (s?.stage === 'approval' && !s.outcome && !s.approvals.some((a) => a.by === 'bob')) {
        await stack.gantry(['release', 'approve', SERVICE, version, '--as', 'bob', '--comment', 'looks safe']);
      }
      await sleep(250);
    }
  })();
  const result = await done;
  finished = true;
  await approver;
  return JSON.parse(result.stdout) as { outcome: string; reason?: string; status: ReleaseStatus };
}

const CONTRACT = "-- gantry:contract after=1.2.0\n-- Nothing reads orders.item since 1.2.0.\nSET lock_timeout = '5s';\nALTER TABLE orders DROP COLUMN item;\n";

describe('expand → deploy → contract on a real PostgreSQL', () => {
  test('expand: 1.0.0 creates orders, 1.1.0 adds product as a schema release', async () => {
    expect((await releaseApproved('1.0.0', stack.commit)).outcome).toBe('succeeded');
    const expand = stack.commitFiles({ 'migrations/0002_add_order_product.sql': "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN product text;\n" }, 'Expand: orders get a product column');
    const doc = await releaseApproved('1.1.0', expand);
    expect(doc.outcome).toBe('succeeded');
    expect(doc.status.change).toMatchObject({ kind: 'schema', migrations: ['0002_add_order_product.sql'] });
    expect(doc.status.change?.contract).toBeUndefined();
    expect(await columns('production')).toEqual(['id', 'item', 'created_at', 'product']);
  });

  test('the contract before the code that stops reading the old column exists: refused, exit 2', async () => {
    const commit = stack.commitFiles({ 'migrations/0003_drop_order_item.sql': CONTRACT }, 'Contract, too early');
    const result = await stack.gantry(['release', 'start', '--service', SERVICE, '--version', '1.1.1', '--commit', commit, '--author', 'alice']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('migrations/0003_drop_order_item.sql (`-- gantry:contract after=1.2.0`)');
    // 1.2.0 was never built: the marker may as well carry a typo, so it says which versions run.
    expect(result.stderr).toContain('names 1.2.0, a version of abacus no environment ever ran and no release built (staging runs 1.0.0, production runs 1.0.0)');
    expect(await columns('staging')).toContain('item');
    // Undone: the code goes first.
    rmSync(path.join(stack.repository, 'migrations/0003_drop_order_item.sql'));
    stack.commitFiles({}, 'Undo: the code that stops reading item goes first');
  });

  test('deploy: 1.2.0 reads product only, and runs in staging and production', async () => {
    const code = stack.commitFiles({ 'src/orders.js': "'use strict';\nmodule.exports = { columns: ['product'] };\n" }, 'Code: read product, not item');
    const doc = await releaseApproved('1.2.0', code);
    expect(doc.outcome).toBe('succeeded');
    expect(doc.status.change?.kind).toBe('code');
    expect(doc.status.environments.production.version).toBe('1.2.0');
  });

  test('contract: refused inside the rollback window of 1.2.0, then admitted with one more approval', async () => {
    const commit = stack.commitFiles({ 'migrations/0003_drop_order_item.sql': CONTRACT }, 'Contract: drop orders.item');
    const early = await stack.gantry(['release', 'start', '--service', SERVICE, '--version', '1.3.0', '--commit', commit, '--author', 'alice']);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('migrations/0003_drop_order_item.sql (`-- gantry:contract after=1.2.0`): 1.2.0 runs in every environment of abacus since');
    const closes = /the rollback window \(15s, migrations\.rollbackWindow\) of 1\.2\.0 closes at (\S+);/.exec(early.stderr);
    expect(closes).not.toBeNull();
    expect(await columns('staging')).toContain('item');

    await sleep(Math.max(0, Date.parse(closes![1]) - Date.now()) + 500);

    const { done } = stack.spawnGantry(['release', 'start', '--service', SERVICE, '--version', '1.3.1', '--commit', commit, '--author', 'alice', '--wait', '--json']);
    // Before the first environment it waits for two approvals: the policy's one and one more.
    const gate = await waitForStatus('1.3.1', (s) => s.stage === 'approval');
    expect(gate.outcome).toBeUndefined();
    expect(gate.contractApproval).toEqual({ migrations: ['0003_drop_order_item.sql'], required: 2 });
    expect(gate.approvalsRequired).toBe(2);
    await stack.gantry(['release', 'approve', SERVICE, '1.3.1', '--as', 'bob', '--comment', 'item is unread since 1.2.0']);
    await sleep(1000);
    const one = await status('1.3.1');
    expect(one.stage).toBe('approval');
    expect(one.waitingFor).toContain('1 more approval');
    expect(await columns('staging')).toContain('item');
    await stack.gantry(['release', 'approve', SERVICE, '1.3.1', '--as', 'carol', '--comment', 'agreed']);

    const doc = JSON.parse((await done).stdout) as { outcome: string; status: ReleaseStatus };
    expect(doc.outcome).toBe('succeeded');
    expect(doc.status.change?.contract).toEqual([{ file: '0003_drop_order_item.sql', after: '1.2.0', everywhereSince: expect.any(String), windowClosedAt: closes![1] }]);
    expect(doc.status.contractApproval).toMatchObject({ required: 2, approvedBy: ['bob', 'carol'] });
    expect(doc.status.timeline.map((t) => t.stage)).toEqual(['admission', 'build', 'approval', 'staging', 'approval', 'production', 'done']);
    expect(doc.status.migrations?.map((m) => `${m.environment}:${m.file}:${m.approvedBy}`)).toEqual([
      'staging:0003_drop_order_item.sql:bob, carol',
      'production:0003_drop_order_item.sql:bob, carol',
    ]);
    expect(await columns('production')).toEqual(['id', 'created_at', 'product']);
  });
});
