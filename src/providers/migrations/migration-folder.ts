import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { orderMigrationFiles } from '../../policy/migration-files';
import { MigrationRunError } from './migration-run-error';
import { type MigrationStatementText, MigrationSyntaxError, splitMigrationStatements } from './split-migration-statements';

/** One migration file, read and cut into statements before anything runs. */
export interface MigrationSource {
  /** The file name, e.g. `0001_create_orders.sql`: what the run and its records name. */
  file: string;
  /** sha256 of the file's bytes, hex: an applied file whose checksum changes is refused. */
  checksum: string;
  statements: MigrationStatementText[];
  /** It holds a statement PostgreSQL runs only outside a transaction (see `outsideTransaction`). */
  outsideTransaction: boolean;
}

/**
 * Reads a migrations folder in the order its migrations run (the naming rules of
 * src/policy/migration-files.ts) and parses every file. Everything that can be wrong
 * with the folder itself is found here, before the database is touched: a misnamed
 * file, a gap or a duplicate in the numbers, SQL that does not parse, and a migration
 * that mixes a statement that cannot run in a transaction with others (it could not be
 * rolled back as a whole).
 */
export async function readMigrationFolder(folder: string): Promise<MigrationSource[]> {
  const names = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
    throw new MigrationRunError({ code: 'folder-invalid' }, `cannot read the migrations folder ${folder} (${err.code ?? err.message}): check the service's migrations path`);
  });
  const { migrations, problems } = orderMigrationFiles(names);
  if (problems.length > 0) {
    throw new MigrationRunError({ code: 'folder-invalid', file: problems[0].files[0] }, `migrations folder ${folder}: ${problems.map((p) => p.message).join('; ')}`);
  }
  const sources: MigrationSource[] = [];
  for (const { file } of migrations) {
    const bytes = await readFile(path.join(folder, file));
    let statements: MigrationStatementText[];
    try {
      statements = await splitMigrationStatements(bytes.toString('utf8'));
    } catch (err) {
      if (!(err instanceof MigrationSyntaxError)) throw err;
      throw new MigrationRunError({ code: 'folder-invalid', file, line: err.line }, `${file}${err.line === undefined ? '' : `:${err.line}`} does not parse: ${err.parserMessage}; fix the SQL (gantry migrations check shows every problem)`);
    }
    const outside = statements.filter((s) => s.outsideTransaction);
    const others = statements.filter((s) => !s.outsideTransaction && !s.setting);
    if (outside.length > 0 && (outside.length > 1 || others.length > 0)) {
      throw new MigrationRunError(
        { code: 'folder-invalid', file, line: outside[0].line },
        `${file}:${outside[0].line} cannot run in a transaction (CONCURRENTLY or VACUUM), so a failure of the other statements of ${file} could not be rolled back with it: put it in a migration of its own, with only SET statements beside it`,
      );
    }
    sources.push({ file, checksum: createHash('sha256').update(bytes).digest('hex'), statements, outsideTransaction: outside.length > 0 });
  }
  return sources;
}
