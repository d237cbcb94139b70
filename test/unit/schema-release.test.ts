import { classifyChange, mixedChangeRefusal, shippedAlready, splitChangedFiles } from '../../src/policy/schema-release';
import { ServiceSchema } from '../../src/config/service-catalogue';

describe('what a release changes decides its kind', () => {
  test.each([
    { name: 'only migrations', changed: ['migrations/0002_a.sql'], base: true, verdict: 'schema' },
    { name: 'only code', changed: ['src/app.js'], base: true, verdict: 'code' },
    { name: 'a README in the folder is no migration', changed: ['migrations/README.md', 'src/app.js'], base: true, verdict: 'code' },
    { name: 'both, something runs', changed: ['migrations/0002_a.sql', 'src/app.js'], base: true, verdict: 'ask-database' },
    { name: 'both, nothing ran yet', changed: ['migrations/0001_a.sql', 'src/app.js'], base: false, verdict: 'first' },
  ])('$name → $verdict', ({ changed, base, verdict }) => {
    expect(classifyChange(splitChangedFiles(changed, '.', 'migrations'), base ? { commit: 'a1' } : undefined)).toEqual({ verdict });
  });

  test("files outside the service's directory are neither", () => {
    expect(splitChangedFiles(['services/web/migrations/0002_a.sql', 'services/web/src/x.ts', 'services/api/y.ts'], 'services/web', 'services/web/migrations')).toEqual({
      migrations: ['0002_a.sql'],
      other: ['services/web/src/x.ts'],
    });
  });

  test('migrations an earlier schema release applied unchanged let the code through', () => {
    const applied = new Map([['0002_a.sql', 'abc']]);
    expect(shippedAlready({ '0002_a.sql': 'abc' }, applied)).toBe(true);
    expect(shippedAlready({ '0002_a.sql': 'edited' }, applied)).toBe(false);
    expect(shippedAlready({ '0003_b.sql': 'def' }, applied)).toBe(false);
    expect(shippedAlready({ '0002_a.sql': undefined }, applied)).toBe(false);
  });

  test('the refusal lists a few of each and says how to split it', () => {
    const message = mixedChangeRefusal({
      service: 'web',
      version: '1.3.0',
      folder: 'migrations',
      changed: { migrations: ['0003_b.sql'], other: ['a.js', 'b.js', 'c.js', 'd.js'] },
      base: { commit: '0123456789abcdef', version: '1.2.0' },
      environment: 'staging',
    });
    expect(message).toContain('migrations (migrations/0003_b.sql) and its code (a.js, b.js, c.js and 1 more) since 1.2.0 (0123456789ab)');
    expect(message).toContain('Split it: first release a commit that changes only migrations/');
  });
});

describe('the catalogue names the migrations field that is wrong', () => {
  const base = { repository: './web', build: 'b', test: { unit: 'u', lint: 'l' }, artifact: { include: ['dist'] }, run: { command: 'c' } };
  test('a folder outside the service, a bad duration, a URL instead of a variable', () => {
    const result = ServiceSchema.safeParse({
      ...base,
      migrations: { directory: '../db', lockTimeout: 'soon' },
      environments: { staging: { database: { env: 'postgres://x@y/z' } } },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['migrations.directory', 'migrations.lockTimeout', 'environments.staging.database.env']));
  });
  test('defaults: 5s lock time-out, 1m statement time-out, 24h rollback window', () => {
    const parsed = ServiceSchema.parse({ ...base, migrations: { directory: 'migrations' } });
    expect(parsed.migrations).toEqual({ directory: 'migrations', lockTimeout: 5_000, statementTimeout: 60_000, rollbackWindow: 86_400_000 });
  });
});
