import path from 'node:path';
import type { ReleaseResult } from '../shared/release';
import type { DemoDatabases } from './demo-databases';
import type { DemoPlatform } from './demo-platform';

/** The example service that declares migrations (examples/gantry.yaml): the same code as web, with a database. */
export const SCHEMA_SERVICE = 'orders';

/** Expand: a nullable column, which the version running now does not know and does not mind. */
const EXPAND = {
  'migrations/0002_add_orders_email.sql': [
    '-- Expand: a nullable column nothing reads yet. The version running now ignores it, so',
    '-- it ships as a schema release of its own, before the code that writes it.',
    "SET lock_timeout = '5s';",
    '',
    'ALTER TABLE orders ADD COLUMN email text;',
    '',
  ].join('\n'),
};

/** The code that uses the column, once every environment's database has it. */
const CODE_USING_EMAIL = {
  'src/orders.js': ["'use strict';", '', '// What an order carries; email is there since migrations/0002_add_orders_email.sql.', "module.exports = { ORDER_COLUMNS: ['item', 'email'] };", ''].join('\n'),
};

/** A column and the code that writes it in one commit: what the platform refuses. */
const MIXED = {
  'migrations/0003_add_orders_note.sql': ["SET lock_timeout = '5s';", '', 'ALTER TABLE orders ADD COLUMN note text;', ''].join('\n'),
  'src/orders.js': ["'use strict';", '', '// What an order carries; note comes with its column, in the same commit.', "module.exports = { ORDER_COLUMNS: ['item', 'email', 'note'] };", ''].join('\n'),
};

export const SCHEMA_APPLIED_EVERYWHERE = '0002_add_orders_email.sql applied in staging, then production; no code shipped';
export const MIXED_REFUSED = 'refused at admission (exit code 2), with how to split it';

export interface SchemaSection {
  platform: DemoPlatform;
  databases: DemoDatabases;
  /** Whether nothing of the service was released on this state folder before this run. */
  fresh: boolean;
  nextVersion: () => Promise<string>;
  /** A demo release of the service from `commit`, followed, approved and checked as succeeded. */
  release: (version: string, commit: string) => Promise<ReleaseResult>;
  check: (what: string, expected: string, actual: string) => void;
  /** The real CLI against the demo's stack: its exit code and what it printed. */
  gantry: (args: string[]) => Promise<{ code: number | null; stdout: string; stderr: string }>;
  say: (line: string) => void;
}

/**
 * The schema release choreography on the example service: the first release (its
 * migration, then its code, in each environment), an expand migration committed alone (a
 * schema release: staging, approval, production, nothing built), the code that uses it
 * (a code release), and a commit carrying both (refused, exit code 2, with how to split
 * it).
 *
 * The repository gets the same commits every run, but the databases and the record of
 * what runs keep what earlier runs did on the same state folder: once the service has run
 * there, its migrations are applied already, so a later run shows only the refusal.
 */
export async function showSchemaReleases(s: SchemaSection): Promise<void> {
  const { platform, say } = s;
  say(`Its databases: PGlite folders under ${path.dirname(s.databases.databases[0].dataDir)}, served on loopback; the worker reads their URLs from its environment:`);
  for (const db of s.databases.databases) say(`  ${db.variable}=${db.url}`);

  // Each commit is made when the story reaches it, so the working tree alice checks is the one she commits.
  const commitExpand = () => platform.commitFiles(EXPAND, 'Expand: orders get an email column');
  const commitCode = () => platform.commitFiles(CODE_USING_EMAIL, 'Code: orders carry an email');
  if (s.fresh) {
    say(`\nThe first release of ${SCHEMA_SERVICE} carries migrations/0001_create_orders.sql and the code: nothing ran yet, so each environment gets the migration, then the code.`);
    await s.release(await s.nextVersion(), platform.commit);

    const expand = commitExpand();
    say(`\nalice commits migrations/0002_add_orders_email.sql alone (${expand.slice(0, 12)}), a nullable column, and checks it first:`);
    say('  $ gantry migrations check migrations');
    const checked = await s.gantry(['migrations', 'check', path.join(platform.repository, 'migrations')]);
    for (const line of `${checked.stdout}${checked.stderr}`.trim().split('\n')) say(`  ${line}`);
    const schemaVersion = await s.nextVersion();
    const schema = await s.release(schemaVersion, expand);
    s.check(`${SCHEMA_SERVICE} ${schemaVersion}: the schema release`, SCHEMA_APPLIED_EVERYWHERE, describeSchemaRelease(schema));

    const code = commitCode();
    say(`\nalice commits the code that writes email, src/orders.js (${code.slice(0, 12)}): its migration is applied already, so it is a code release.`);
    await s.release(await s.nextVersion(), code);
  } else {
    say(`\n${SCHEMA_SERVICE} was released on this state folder by an earlier run, and its databases keep the migrations applied then: its first, schema and code releases are not shown again (a fresh state folder shows them: GANTRY_HOME=$(mktemp -d) npm start).`);
    // The same commits as then (same files, author and date), so the one below follows what runs.
    commitExpand();
    commitCode();
  }

  const mixed = platform.commitFiles(MIXED, 'Notes on orders and the code that writes them, together');
  const mixedVersion = await s.nextVersion();
  say(`\nalice commits migrations/0003_add_orders_note.sql and the code that writes note together (${mixed.slice(0, 12)}):`);
  const args = ['release', 'start', '--service', SCHEMA_SERVICE, '--version', mixedVersion, '--commit', mixed, '--author', 'alice'];
  say(`  $ gantry ${args.join(' ')}`);
  const refused = await s.gantry(args);
  for (const line of `${refused.stdout}${refused.stderr}`.trim().split('\n')) say(`  ${line}`);
  say(`  → exit code ${refused.code}`);
  const split = refused.code === 2 && refused.stderr.includes('Split it: first release a commit that changes only migrations/');
  s.check(`${SCHEMA_SERVICE} ${mixedVersion}: migrations and code in one commit`, MIXED_REFUSED, split ? MIXED_REFUSED : `exit code ${refused.code}`);
}

/** What a schema release did, in the words of the check: which migrations, where, in which order, and that no code shipped. */
function describeSchemaRelease(result: ReleaseResult): string {
  const status = result.status;
  if (status?.change?.kind !== 'schema') return `a ${status?.change?.kind ?? 'release with no change recorded'}, not a schema release`;
  const applied = (status.migrations ?? []).map((m) => `${m.file} in ${m.environment}`);
  const expected = ['0002_add_orders_email.sql in staging', '0002_add_orders_email.sql in production'];
  if (applied.join('; ') !== expected.join('; ')) return `applied ${applied.join(', ') || 'nothing'}`;
  return status.artifact ? 'applied, but it shipped code too' : SCHEMA_APPLIED_EVERYWHERE;
}
