import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readContractMarker } from '../../policy/migration-contract-marker';
import { orderMigrationFiles } from '../../policy/migration-files';
import { type Migration, type MigrationFinding, checkMigration } from '../../policy/migration-rules';
import { EXIT, invalidInput } from '../exit-codes';

/**
 * `gantry migrations check <folder> [--json]`: PostgreSQL migrations checked against the
 * backward-compatibility rules (src/policy/migration-rules.ts) before anything starts.
 * Exit 0 when clean, 1 when a rule finds something, 2 when the folder cannot be read as
 * migrations (missing, a file name out of pattern, a skipped or shared number, SQL that
 * does not parse, a malformed contract marker).
 */
export function registerMigrationCommands(program: Command): void {
  const migrations = program.command('migrations').description('Check database migrations before a release carries them.');
  migrations
    .command('check')
    .description("Parse each migration in a folder with PostgreSQL's parser and report statements that break the running version or block traffic.")
    .argument('<folder>', 'folder of migrations named <number>_<name>.sql')
    .option('--json', 'print the findings as JSON', false)
    .action(async (folder: string, opts: { json: boolean }) => {
      const files = migrationFiles(folder);
      const loaded = await loadMigrations(folder, files);
      const findings = loaded.flatMap(checkMigration);
      process.stdout.write(opts.json ? `${JSON.stringify(findings, null, 2)}\n` : `${[...findings.map(renderFinding), summary(folder, loaded, findings)].join('\n')}\n`);
      if (findings.length > 0) process.exitCode = EXIT.unsuccessful;
    });
}

/** The folder's migration files in the order they run; anything that leaves the order unknown is bad input. */
function migrationFiles(folder: string): string[] {
  let names: string[];
  try {
    if (!statSync(folder).isDirectory()) throw invalidInput(`${folder} is not a folder: give the folder that holds the migrations`);
    names = readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalidInput(`${folder}: no such folder`);
    if (code !== undefined) throw invalidInput(`${folder}: cannot read it (${code})`);
    throw err;
  }
  const { migrations, problems } = orderMigrationFiles(names);
  if (problems.length > 0) throw cannotCheck(folder, problems.map((p) => p.message));
  return migrations.map((m) => m.file);
}

/** Every file parsed, so one run names every file that does not parse, not just the first. */
async function loadMigrations(folder: string, files: readonly string[]): Promise<Migration[]> {
  // Loaded here, not at the top: it compiles PostgreSQL's parser, which other commands do not need.
  const { MigrationParseError, parseMigration } = await import('../../migrations/parse-migration');
  const problems: string[] = [];
  const migrations: Migration[] = [];
  for (const file of files) {
    const sql = readFileSync(path.join(folder, file), 'utf8');
    const reading = readContractMarker(sql);
    if ('problem' in reading) problems.push(`${file}:${reading.line}: ${reading.problem}`);
    try {
      const statements = await parseMigration(file, sql);
      migrations.push({ file, statements, ...('marker' in reading && reading.marker ? { contract: reading.marker } : {}) });
    } catch (err) {
      if (!(err instanceof MigrationParseError)) throw err;
      problems.push(`${err.message} (PostgreSQL would refuse it)`);
    }
  }
  if (problems.length > 0) throw cannotCheck(folder, problems);
  return migrations;
}

function cannotCheck(folder: string, problems: readonly string[]) {
  return invalidInput(`cannot check the migrations in ${folder}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

/** `0003_drop_note.sql:4 drop-column: drops column orders.note, …; instead: …` */
function renderFinding(finding: MigrationFinding): string {
  const contract = finding.contract ? ` [contract step after ${finding.contract.after}]` : '';
  return `${finding.file}:${finding.line} ${finding.rule}: ${finding.message}${contract}; instead: ${finding.safeAlternative}`;
}

function summary(folder: string, migrations: readonly Migration[], findings: readonly MigrationFinding[]): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const checked = `${count(migrations.length, 'migration')} in ${folder}`;
  if (findings.length === 0) return `${checked}: no findings`;
  const files = new Set(findings.map((f) => f.file)).size;
  const inContract = findings.filter((f) => f.contract).length;
  const contract = inContract > 0 ? ` (${inContract} in ${inContract === 1 ? 'a contract step' : 'contract steps'})` : '';
  return `${checked}: ${count(findings.length, 'finding')}${contract} in ${count(files, 'migration')}`;
}
