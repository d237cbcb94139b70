import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * `gantry migrations check` as CI runs it: the built CLI (`npm run build`) on folders of
 * real files. It needs no Temporal server.
 */
const GANTRY = path.resolve(__dirname, '..', '..', 'bin', 'gantry.js');

function gantry(...args: string[]) {
  const result = spawnSync(process.execPath, [GANTRY, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A temporary folder holding `files` (name → SQL). */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gantry-migrations-'));
  folders.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

const CLEAN = {
  '0001_create_orders.sql': 'CREATE TABLE orders (\n  id bigint PRIMARY KEY,\n  note text\n);\nCREATE INDEX orders_note_idx ON orders (note);\n',
  '0002_add_email.sql': "SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN email text NOT NULL DEFAULT '';\n",
  '0003_index_email.sql': 'CREATE INDEX CONCURRENTLY orders_email_idx ON orders (email);\n',
  'README.md': 'Migrations of the orders service.\n',
};

describe('gantry migrations check (the built CLI)', () => {
  test('a clean folder exits 0 and says so', () => {
    const dir = folder(CLEAN);
    const result = gantry('migrations', 'check', dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`3 migrations in ${dir}: no findings\n`);
    expect(JSON.parse(gantry('migrations', 'check', dir, '--json').stdout)).toEqual([]);
  });

  test('a breaking migration exits 1, naming file, line, rule and the safe alternative', () => {
    const dir = folder({
      ...CLEAN,
      '0004_drop_note.sql': "-- orders.note is unused since 2.4.0\nSET lock_timeout = '5s';\n\nALTER TABLE orders\n  DROP COLUMN note;\n",
    });
    const result = gantry('migrations', 'check', dir);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      '0004_drop_note.sql:4 drop-column: drops column orders.note, which the version running now may still read or write; instead: release code that no longer uses the column, then drop it in a later migration marked `-- gantry:contract after=<version>`, once no version that needs it runs',
      `4 migrations in ${dir}: 1 finding in 1 migration`,
      '',
    ]);
  });

  test('--json prints the findings, a contract step carrying its marker', () => {
    const dir = folder({
      ...CLEAN,
      '0004_drop_note.sql': '-- gantry:contract after=2.4.0\nALTER TABLE orders DROP COLUMN note;\n',
    });
    const result = gantry('migrations', 'check', dir, '--json');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({ rule: 'drop-column', file: '0004_drop_note.sql', line: 2, contract: { after: '2.4.0' } }),
      expect.objectContaining({ rule: 'missing-lock-timeout', file: '0004_drop_note.sql', line: 2, safeAlternative: expect.stringContaining('SET lock_timeout') }),
    ]);
    expect(JSON.parse(result.stdout)[1]).not.toHaveProperty('contract');
    expect(gantry('migrations', 'check', dir).stdout).toMatch(/^0004_drop_note\.sql:2 drop-column: .* \[contract step after 2\.4\.0\]; instead: /m);
  });

  test('SQL that does not parse exits 2, naming every such file and its line, and checks nothing', () => {
    const dir = folder({
      ...CLEAN,
      '0004_broken.sql': "SET lock_timeout = '5s';\nALTER TABLE orders\n  ADD COLUMN;\n",
      '0005_typo.sql': 'SELEC 1;\n',
    });
    const result = gantry('migrations', 'check', dir);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(
      `gantry: cannot check the migrations in ${dir}:\n` +
        '  0004_broken.sql:3: syntax error at or near ";" (PostgreSQL would refuse it)\n' +
        '  0005_typo.sql:1: syntax error at or near "SELEC" (PostgreSQL would refuse it)\n',
    );
  });

  test('a gap, a duplicate number or a name out of pattern exits 2, naming the files', () => {
    const gap = folder({ ...CLEAN, '0005_later.sql': 'SELECT 1;\n' });
    const result = gantry('migrations', 'check', gap);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/numbers skip from 0003_index_email\.sql to 0005_later\.sql \(4 is missing\)/);

    const duplicate = gantry('migrations', 'check', folder({ ...CLEAN, '0003_again.sql': 'SELECT 1;\n' }));
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toMatch(/0003_again\.sql and 0003_index_email\.sql share number 3/);

    const misnamed = gantry('migrations', 'check', folder({ ...CLEAN, 'add_customers.sql': 'SELECT 1;\n' }));
    expect(misnamed.code).toBe(2);
    expect(misnamed.stderr).toMatch(/add_customers\.sql is not named <number>_<name>\.sql/);
  });

  test('a malformed contract marker exits 2, naming file and line', () => {
    const result = gantry('migrations', 'check', folder({ ...CLEAN, '0004_drop.sql': '-- gantry:contract after=soon\nDROP TABLE orders;\n' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/0004_drop\.sql:1: gantry:contract after="soon" is not a semantic version/);
  });

  test('a folder that does not exist, or a file given as the folder, exits 2', () => {
    const missing = path.join(tmpdir(), 'gantry-no-such-migrations');
    expect(gantry('migrations', 'check', missing)).toMatchObject({ code: 2, stderr: `gantry: ${missing}: no such folder\n` });
    const file = path.join(folder(CLEAN), '0001_create_orders.sql');
    expect(gantry('migrations', 'check', file)).toMatchObject({ code: 2, stderr: `gantry: ${file} is not a folder: give the folder that holds the migrations\n` });
  });
});
