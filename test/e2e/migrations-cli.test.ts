import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe("gantry migrations check <service> --commit: the service's migrations as a release of that commit carries them", () => {
  /** A repository with a clean first commit and a second one that drops a column; a catalogue naming it as `orders`. */
  function serviceRepository() {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-migrations-service-'));
    folders.push(dir);
    const repo = path.join(dir, 'orders');
    const git = (...args: string[]) => {
      const run = spawnSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', '-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args], { cwd: repo, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(run.stderr);
      return run.stdout.trim();
    };
    mkdirSync(path.join(repo, 'db'), { recursive: true });
    git('init', '-q');
    writeFileSync(path.join(repo, 'db', '0001_create_orders.sql'), CLEAN['0001_create_orders.sql']);
    git('add', '-A');
    git('commit', '-q', '-m', 'orders');
    const clean = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'db', '0002_drop_note.sql'), "SET lock_timeout = '5s';\nALTER TABLE orders DROP COLUMN note;\n");
    git('add', '-A');
    git('commit', '-q', '-m', 'drop note');
    const service = (migrations: string) =>
      `  orders:\n    repository: ./orders\n    build: make\n    test: { unit: make test, lint: make lint }\n    artifact: { include: [dist] }\n    run: { command: node dist/server.js }\n    environments: { staging: {}, production: {} }\n${migrations}`;
    const config = path.join(dir, 'gantry.yaml');
    writeFileSync(config, `version: 1\nservices:\n${service('    migrations: { directory: db }\n')}`);
    const bare = path.join(dir, 'bare.yaml');
    writeFileSync(bare, `version: 1\nservices:\n${service('')}`);
    return { dir, config, bare, clean };
  }
  const inHome = (dir: string, ...args: string[]) => {
    const result = spawnSync(process.execPath, [GANTRY, ...args], { encoding: 'utf8', env: { ...process.env, GANTRY_HOME: path.join(dir, '.gantry') } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  test('HEAD holds a breaking migration (exit 1); the commit before it is clean (exit 0)', () => {
    const { dir, config, clean } = serviceRepository();
    const head = inHome(dir, 'migrations', 'check', 'orders', '--config', config);
    expect(head.code).toBe(1);
    expect(head.stdout).toMatch(/^0002_drop_note\.sql:2 drop-column: /m);
    expect(head.stdout).toMatch(/^2 migrations in orders's db at [0-9a-f]{12}: 1 finding in 1 migration$/m);
    const before = inHome(dir, 'migrations', 'check', 'orders', '--config', config, '--commit', clean);
    expect(before).toMatchObject({ code: 0, stderr: '' });
    expect(before.stdout).toBe(`1 migration in orders's db at ${clean.slice(0, 12)}: no findings\n`);
  });

  test('bad input exits 2 and names the fix: an unknown service, a service without migrations, an unknown commit, --commit with a folder', () => {
    const { dir, config, bare } = serviceRepository();
    expect(inHome(dir, 'migrations', 'check', 'billing', '--config', config)).toMatchObject({ code: 2, stderr: expect.stringMatching(/billing is neither a folder nor a service of .*gantry\.yaml \(it has orders\)/) });
    expect(inHome(dir, 'migrations', 'check', 'orders', '--config', bare)).toMatchObject({ code: 2, stderr: expect.stringMatching(/orders declares no migrations: add migrations: \{ directory: migrations \}/) });
    expect(inHome(dir, 'migrations', 'check', 'orders', '--config', config, '--commit', 'no-such-branch')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^gantry: orders: .*no-such-branch/) });
    expect(inHome(dir, 'migrations', 'check', dir, '--commit', 'HEAD')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--commit reads a service's migrations from its repository/) });
  });
});
