import { MigrationParseError, parseMigration } from '../../src/migrations/parse-migration';
import { readContractMarker } from '../../src/policy/migration-contract-marker';
import { orderMigrationFiles } from '../../src/policy/migration-files';
import { type MigrationFinding, type MigrationRule, MIGRATION_RULES, checkMigration } from '../../src/policy/migration-rules';

/** Every fixture is real SQL, parsed by PostgreSQL's parser before the rules see it. */
async function check(sql: string, file = '0007_change.sql'): Promise<MigrationFinding[]> {
  const reading = readContractMarker(sql);
  if ('problem' in reading) throw new Error(reading.problem);
  return checkMigration({ file, statements: await parseMigration(file, sql), ...(reading.marker ? { contract: reading.marker } : {}) });
}

const rulesAt = async (sql: string) => (await check(sql)).map((f) => `${f.rule}@${f.line}`);

/** Fixtures of one rule set a lock_timeout first, so that they show that rule alone. */
const TIMEOUT = "SET lock_timeout = '5s';\n";

describe('each rule: the refused form and the safe one', () => {
  const cases: Array<[MigrationRule, string, string]> = [
    ['drop-table', 'DROP TABLE legacy_orders;', 'CREATE TABLE import_scratch (id int);\nDROP TABLE import_scratch;'],
    // The expand step before a column goes: it stops being required, so new code may stop writing it.
    ['drop-column', 'ALTER TABLE orders DROP COLUMN note;', 'ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;'],
    ['rename-table', 'ALTER TABLE orders RENAME TO purchases;', 'CREATE TABLE purchases (LIKE orders INCLUDING ALL);'],
    ['rename-column', 'ALTER TABLE orders RENAME COLUMN email TO mail;', 'ALTER TABLE orders ADD COLUMN mail text;'],
    ['change-column-type', 'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);', 'ALTER TABLE orders ADD COLUMN total_exact numeric(12,2);'],
    ['add-not-null-column-without-default', 'ALTER TABLE orders ADD COLUMN region text NOT NULL;', "ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';"],
    [
      'set-not-null',
      'ALTER TABLE orders ALTER COLUMN region SET NOT NULL;',
      // The CHECK (region IS NOT NULL) NOT VALID came in an earlier migration.
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_region_not_null;\nALTER TABLE orders ALTER COLUMN region SET NOT NULL;',
    ],
    ['create-index-not-concurrently', 'CREATE INDEX orders_region_idx ON orders (region);', 'CREATE INDEX CONCURRENTLY orders_region_idx ON orders (region);'],
    [
      'constraint-without-not-valid',
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);',
      'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;',
    ],
  ];

  test.each(cases)('%s', async (rule, refused, safe) => {
    const findings = await check(TIMEOUT + refused);
    expect(findings.map((f) => f.rule)).toEqual([rule]);
    expect(findings[0]).toMatchObject({ file: '0007_change.sql', line: 2, safeAlternative: MIGRATION_RULES[rule].safeAlternative });
    expect(findings[0].message.length).toBeGreaterThan(20);
    expect(await check(TIMEOUT + safe)).toEqual([]);
  });

  test('missing-lock-timeout: a lock on an existing table with no SET lock_timeout before it', async () => {
    const findings = await check('ALTER TABLE orders ADD COLUMN region text;');
    expect(findings).toEqual([
      {
        rule: 'missing-lock-timeout',
        file: '0007_change.sql',
        line: 1,
        message: 'locks table orders with no SET lock_timeout before it: while it waits for its lock, every query on the table queues behind it',
        safeAlternative: "start the migration with SET lock_timeout = '5s' (and run it again if it times out)",
      },
    ]);
    expect(await check(`${TIMEOUT}ALTER TABLE orders ADD COLUMN region text;`)).toEqual([]);
  });

  test('the messages name the table and column', async () => {
    const [drop, type, notNull] = await check(`${TIMEOUT}ALTER TABLE shop.orders DROP COLUMN note, ALTER COLUMN total TYPE bigint, ADD COLUMN region text NOT NULL;`);
    expect(drop.message).toBe('drops column shop.orders.note, which the version running now may still read or write');
    expect(type.message).toMatch(/^changes the type of shop\.orders\.total to int8: /);
    expect(notNull.message).toMatch(/^adds column shop\.orders\.region NOT NULL without a default: it fails on a table with rows/);
  });
});

describe('the edges of the rules', () => {
  test.each([
    ['DROP TABLE IF EXISTS a, shop.b CASCADE;', ['drop-table@2', 'drop-table@2']],
    ['ALTER TABLE IF EXISTS ONLY orders DROP COLUMN IF EXISTS note;', ['drop-column@2']],
    ['ALTER TABLE orders ADD COLUMN id2 bigint PRIMARY KEY;', ['add-not-null-column-without-default@2']],
    ['CREATE UNIQUE INDEX orders_email_key ON orders (email);', ['create-index-not-concurrently@2']],
    ['ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0);', ['constraint-without-not-valid@2']],
  ])('refused: %s', async (sql, expected) => {
    expect(await rulesAt(TIMEOUT + sql)).toEqual(expected);
  });

  test.each([
    ['an identity column fills every row', 'ALTER TABLE orders ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;'],
    ['a nullable column', 'ALTER TABLE orders ADD COLUMN region text;'],
    ['a check added NOT VALID', 'ALTER TABLE orders ADD CONSTRAINT positive CHECK (total > 0) NOT VALID;'],
    ['a unique constraint is not a foreign key or check', 'ALTER TABLE orders ADD CONSTRAINT orders_email_key UNIQUE USING INDEX orders_email_idx;'],
    ['a validation, which does not block writes', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;'],
    ['dropping a view', 'DROP VIEW order_totals;'],
    ['renaming an index', 'ALTER INDEX orders_email_idx RENAME TO orders_mail_idx;'],
  ])('allowed: %s', async (_name, sql) => {
    expect(await rulesAt(TIMEOUT + sql)).toEqual([]);
  });

  test('a table created in the same migration: its index, constraints and changes are fine, and it needs no lock_timeout', async () => {
    const sql = [
      'CREATE TABLE shipments (id bigint PRIMARY KEY, order_ref bigint, state text);',
      'CREATE INDEX shipments_order_idx ON shipments (order_ref);',
      'ALTER TABLE shipments ADD CONSTRAINT state_known CHECK (state IN (\'new\', \'sent\'));',
      'ALTER TABLE shipments ADD COLUMN carrier text NOT NULL;',
      'ALTER TABLE shipments ALTER COLUMN state SET NOT NULL;',
      'ALTER TABLE shipments RENAME COLUMN state TO status;',
      'ALTER TABLE public.shipments RENAME TO deliveries;',
      'CREATE INDEX deliveries_status_idx ON deliveries (status);',
    ].join('\n');
    expect(await check(sql)).toEqual([]);
  });

  test('a new table with a foreign key locks the table it references', async () => {
    expect(await rulesAt('CREATE TABLE shipments (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));')).toEqual(['missing-lock-timeout@1']);
    expect(await rulesAt('CREATE TABLE shipments (id bigint PRIMARY KEY, note text);')).toEqual([]);
  });

  test('a constraint on a new table referencing an existing one is fine, but it locks that table', async () => {
    const sql = 'CREATE TABLE shipments (id bigint, order_id bigint);\nALTER TABLE shipments ADD CONSTRAINT fk FOREIGN KEY (order_id) REFERENCES orders (id);';
    expect(await rulesAt(sql)).toEqual(['missing-lock-timeout@2']);
  });

  test('lock_timeout: set after the lock, set to 0, reset, or SET LOCAL ended by COMMIT does not count', async () => {
    const alter = 'ALTER TABLE orders ADD COLUMN region text;';
    expect(await rulesAt(`${alter}\n${TIMEOUT}`)).toEqual(['missing-lock-timeout@1']);
    expect(await rulesAt(`SET lock_timeout = 0;\n${alter}`)).toEqual(['missing-lock-timeout@2']);
    expect(await rulesAt(`SET lock_timeout TO '0';\n${alter}`)).toEqual(['missing-lock-timeout@2']);
    expect(await rulesAt(`${TIMEOUT}RESET lock_timeout;\n${alter}`)).toEqual(['missing-lock-timeout@3']);
    expect(await rulesAt(`${TIMEOUT}RESET ALL;\n${alter}`)).toEqual(['missing-lock-timeout@3']);
    expect(await rulesAt(`BEGIN;\nSET LOCAL lock_timeout = '3s';\n${alter}\nCOMMIT;\n${alter}`)).toEqual(['missing-lock-timeout@5']);
    expect(await rulesAt(`SET lock_timeout = 3000;\n${alter}`)).toEqual([]);
    expect(await rulesAt(`SET SESSION lock_timeout TO '2s';\nBEGIN;\n${alter}\nCOMMIT;\n${alter}`)).toEqual([]);
  });

  test('lock_timeout is reported once, at the first lock; statements that lock nothing need none', async () => {
    expect(await rulesAt('ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN y int;')).toEqual(['missing-lock-timeout@1']);
    expect(await rulesAt("CREATE INDEX CONCURRENTLY orders_region_idx ON orders (region);\nDROP INDEX CONCURRENTLY orders_old_idx;\nUPDATE orders SET region = 'eu' WHERE id < 1000;")).toEqual([]);
    expect(await rulesAt('DROP INDEX orders_old_idx;')).toEqual(['missing-lock-timeout@1']);
    expect(await rulesAt('TRUNCATE import_queue;')).toEqual(['missing-lock-timeout@1']);
    expect(await rulesAt('LOCK TABLE orders IN SHARE MODE;')).toEqual(['missing-lock-timeout@1']);
  });
});

describe('line numbers', () => {
  test('each finding names the line its statement starts on, past comments and multi-byte text', async () => {
    const sql = [
      '-- Ünïcödé in a comment: ✓ 😀',
      "SET lock_timeout = '5s'; SELECT 'ß';",
      '',
      '/* a block',
      '   comment */',
      'ALTER TABLE orders',
      '  DROP COLUMN note;',
      "CREATE INDEX orders_x_idx ON orders (x); SELECT '€'; DROP TABLE t;",
      '',
      '',
      '  ALTER TABLE orders RENAME COLUMN a TO b ;',
    ].join('\n');
    expect(await rulesAt(sql)).toEqual(['drop-column@6', 'create-index-not-concurrently@8', 'drop-table@8', 'rename-column@11']);
  });

  test('Windows line endings count the same', async () => {
    expect(await rulesAt(`${TIMEOUT.replace('\n', '\r\n')}\r\n\r\nALTER TABLE orders DROP COLUMN note;\r\n`)).toEqual(['drop-column@4']);
  });
});

describe('SQL that does not parse', () => {
  test.each([
    ['a misspelt keyword', "SET lock_timeout = '5s';\n-- naïve ✓\nSELEC 1;", 3, 'syntax error at or near "SELEC"'],
    ['a statement cut short', 'SELECT 1;\r\n\r\nALTER TABLE orders ADD COLUMN;', 3, 'syntax error at or near ";"'],
    ['an unterminated string after an emoji', "SELECT '😀';\n\nINSERT INTO t VALUES ('open", 3, 'unterminated quoted string at or near "\'open"'],
    ['the end of the file reached', 'CREATE TABLE t (\n  id int', 2, 'syntax error at end of input'],
  ])('%s: the file, the line and the parser\'s message', async (_name, sql, line, message) => {
    const error = await parseMigration('0004_broken.sql', sql).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(MigrationParseError);
    expect(error).toMatchObject({ file: '0004_broken.sql', line, parserMessage: message, message: `0004_broken.sql:${line}: ${message}` });
  });

  test('an empty file and a file of comments have no statements', async () => {
    expect(await parseMigration('0001_empty.sql', '')).toEqual([]);
    expect(await parseMigration('0001_empty.sql', '\n  \n')).toEqual([]);
    expect(await parseMigration('0001_notes.sql', '-- nothing yet\n/* still nothing */\n')).toEqual([]);
  });

  test('statements come with their parse tree', async () => {
    const [statement] = await parseMigration('0001_x.sql', '\n\nDROP TABLE orders;');
    expect(statement.line).toBe(3);
    expect(statement.stmt).toMatchObject({ DropStmt: { removeType: 'OBJECT_TABLE' } });
  });
});

describe('the contract marker', () => {
  test.each([
    ['-- gantry:contract after=2.4.0\nALTER TABLE orders DROP COLUMN note;', { marker: { after: '2.4.0' } }],
    ['\n-- Remove what 2.3 used.\n--   gantry:contract   after=v3.0.0-rc.1  \n\nDROP TABLE t;', { marker: { after: 'v3.0.0-rc.1' } }],
    ['-- gantry:contract after=2.4.0\r\nDROP TABLE t;', { marker: { after: '2.4.0' } }],
    ['DROP TABLE t;\n-- gantry:contract after=2.4.0', {}],
    ['/* header */\n-- gantry:contract after=2.4.0\nDROP TABLE t;', {}],
    ['-- gantry:contractor after=2.4.0\nDROP TABLE t;', {}],
    ['ALTER TABLE t ADD COLUMN x int;', {}],
  ])('%j', (sql, expected) => {
    expect(readContractMarker(sql)).toEqual(expected);
  });

  test.each([
    ['-- gantry:contract\nDROP TABLE t;', 1, /needs after=<version>, e\.g\. `-- gantry:contract after=2\.4\.0`/],
    ['-- why\n-- gantry:contract after=soon\nDROP TABLE t;', 2, /after="soon" is not a semantic version such as 2\.4\.0/],
    ['-- gantry:contract before=2.4.0', 1, /needs after=<version>/],
    ['-- gantry:contract after=2.4.0\n-- gantry:contract after=2.5.0', 2, /a second gantry:contract marker/],
  ])('a malformed marker is a problem on its line: %j', (sql, line, message) => {
    const reading = readContractMarker(sql);
    expect(reading).toMatchObject({ line, problem: expect.stringMatching(message) });
  });

  test('the breaking statements of a contract step still count, and carry the marker; lock safety does not bend', async () => {
    const findings = await check('-- gantry:contract after=2.4.0\nALTER TABLE orders DROP COLUMN note;\nDROP TABLE legacy_orders;\nCREATE INDEX i ON orders (x);');
    expect(findings.map((f) => [f.rule, f.line, f.contract])).toEqual([
      ['drop-column', 2, { after: '2.4.0' }],
      ['missing-lock-timeout', 2, undefined],
      ['drop-table', 3, { after: '2.4.0' }],
      ['create-index-not-concurrently', 4, undefined],
    ]);
  });
});

describe('the folder: <number>_<name>.sql, in order, none skipped or shared', () => {
  test('ordered by number, not by name; other files are not migrations', () => {
    const { migrations, problems } = orderMigrationFiles(['10_add_index.sql', 'README.md', '8_create_orders.sql', '9_add_email.sql', '.gitkeep']);
    expect(problems).toEqual([]);
    expect(migrations).toEqual([
      { file: '8_create_orders.sql', number: 8 },
      { file: '9_add_email.sql', number: 9 },
      { file: '10_add_index.sql', number: 10 },
    ]);
  });

  test('an empty folder has no migrations and no problems', () => {
    expect(orderMigrationFiles([])).toEqual({ migrations: [], problems: [] });
  });

  test('a gap', () => {
    expect(orderMigrationFiles(['0001_a.sql', '0002_b.sql', '0004_d.sql', '0007_g.sql']).problems).toEqual([
      { problem: 'number-gap', files: ['0002_b.sql', '0004_d.sql'], message: 'numbers skip from 0002_b.sql to 0004_d.sql (3 is missing): a migration is lost or misnumbered' },
      { problem: 'number-gap', files: ['0004_d.sql', '0007_g.sql'], message: 'numbers skip from 0004_d.sql to 0007_g.sql (5 to 6 are missing): a migration is lost or misnumbered' },
    ]);
  });

  test('a duplicate number, however it is padded', () => {
    expect(orderMigrationFiles(['0001_a.sql', '0002_b.sql', '2_c.sql']).problems).toEqual([
      { problem: 'duplicate-number', files: ['0002_b.sql', '2_c.sql'], message: '0002_b.sql and 2_c.sql share number 2, so their order is unknown: give each migration its own number' },
    ]);
  });

  test.each(['add_orders.sql', '0003-add-orders.sql', '0003_add orders.sql', '0003_.sql', 'V3__add_orders.sql', '0003_add_orders.SQL'])('a name out of pattern: %s', (file) => {
    expect(orderMigrationFiles(['0001_a.sql', '0002_b.sql', file]).problems).toEqual([
      { problem: 'file-name', files: [file], message: `${file} is not named <number>_<name>.sql (e.g. 0001_create_orders.sql), so its place in the order is unknown` },
    ]);
  });
});
