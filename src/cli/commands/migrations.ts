import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { readContractMarker } from '../../policy/migration-contract-marker';
import { orderMigrationFiles } from '../../policy/migration-files';
import { type Migration, type MigrationFinding, checkMigration } from '../../policy/migration-rules';
import { EXIT, invalidInput } from '../exit-codes';
import { GitCommandError, runGit } from '../../providers/source/run-git';
import { loadCatalogueForCli } from './config';
import { displayPath } from '../../config/display-path';
import { SERVICE_NAME_PATTERN } from '../../shared/names';

/**
 * `gantry migrations check <folder|service> [--commit <ref>] [--config <file>] [--json]`:
 * PostgreSQL migrations checked against the backward-compatibility rules
 * (src/policy/migration-rules.ts) before anything starts. Given a service, the folder is
 * the one its catalogue entry declares (`migrations.directory`), read at `--commit` of
 * its repository (default HEAD), exactly as a release of that commit would carry it.
 * Exit 0 when clean, 1 when a rule finds something, 2 when the migrations cannot be read
 * (no such folder or service, a service without migrations, an unknown commit, a file
 * name out of pattern, a skipped or shared number, SQL that does not parse, a malformed
 * contract marker).
 */
export function registerMigrationCommands(program: Command): void {
  const migrations = program.command('migrations').description('Check database migrations before a release carries them.');
  migrations
    .command('check')
    .description("Parse each migration with PostgreSQL's parser and report statements that break the running version or block traffic.")
    .argument('<folder|service>', "a folder of migrations named <number>_<name>.sql, or a service of the catalogue (its migrations folder at --commit)")
    .option('--commit <ref>', "with a service: the commit, branch or tag of its repository to read the migrations at (default HEAD)")
    .option('--config <file>', 'with a service: the catalogue file (default: found as `gantry config validate` finds it)')
    .option('--json', 'print the findings as JSON', false)
    .action(async (target: string, opts: { commit?: string; config?: string; json: boolean }) => {
      // A service name has no path in it; anything else (or anything that exists) is read as a folder, as before.
      const isFolder = existsSync(target) || !SERVICE_NAME_PATTERN.test(target);
      if (isFolder && opts.commit) throw invalidInput(`--commit reads a service's migrations from its repository; ${target} is a folder: give the service's name instead, or drop --commit`);
      const checked = isFolder ? { folder: target, cleanup: async () => undefined } : await serviceMigrations(target, opts);
      try {
        const files = migrationFiles(checked.folder);
        const loaded = await loadMigrations(checked.folder, files);
        const findings = loaded.flatMap(checkMigration);
        const shown = 'label' in checked ? checked.label : checked.folder;
        process.stdout.write(opts.json ? `${JSON.stringify(findings, null, 2)}\n` : `${[...findings.map(renderFinding), summary(shown, loaded, findings)].join('\n')}\n`);
        if (findings.length > 0) process.exitCode = EXIT.unsuccessful;
      } finally {
        await checked.cleanup();
      }
    });
}

/** A service's migrations folder at a commit of its repository, checked out into a temporary folder. */
async function serviceMigrations(name: string, opts: { commit?: string; config?: string }): Promise<{ folder: string; label: string; cleanup: () => Promise<void> }> {
  const loaded = loadCatalogueForCli(opts.config);
  const names = Object.keys(loaded.catalogue.services);
  if (!names.includes(name)) throw invalidInput(`${name} is neither a folder nor a service of ${displayPath(loaded.file)} (it has ${names.join(', ') || 'none'})`);
  const service = loaded.service(name);
  const declared = service.config.migrations;
  if (!declared) throw invalidInput(`${name} declares no migrations: add migrations: { directory: migrations } to its entry in ${displayPath(loaded.file)}`);
  // A clone of its own, not the worker's mirrors: a check may name a branch, which a release may not.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gantry-migrations-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const checkout = path.join(dir, 'checkout');
  const ref = opts.commit ?? 'HEAD';
  let commit: string;
  try {
    await runGit(['clone', '--quiet', '--no-checkout', '--', service.repository, checkout], { timeoutMs: 300_000 });
    commit = (await runGit(['-C', checkout, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { timeoutMs: 30_000 }).catch(() => undefined))?.stdout.toString().trim() ?? '';
    if (!commit) throw invalidInput(`${name}: ${service.repository} has no commit, branch or tag "${ref}"`);
    await runGit(['-C', checkout, 'checkout', '--quiet', '--detach', commit], { timeoutMs: 300_000 });
  } catch (err) {
    await cleanup();
    if (err instanceof GitCommandError) throw invalidInput(`${name}: cannot read ${service.repository}: ${err.message}`);
    throw err;
  }
  const inRepository = path.posix.join(service.directory, declared.directory);
  const folder = path.join(checkout, inRepository);
  return { folder, label: `${name}'s ${inRepository} at ${commit.slice(0, 12)}`, cleanup };
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
