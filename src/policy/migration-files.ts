const FILE_NAME = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

export interface MigrationFile {
  file: string;
  number: number;
}

export interface MigrationFileProblem {
  problem: 'file-name' | 'duplicate-number' | 'number-gap';
  files: string[];
  message: string;
}

/**
 * The migrations of a folder in the order they run, from its file names: `<number>_<name>.sql`
 * (`0001_create_orders.sql`), by number, each number once and none skipped. Files not
 * ending in .sql (a README) are not migrations. Worked example: 0001_a.sql, 0002_b.sql,
 * 0002_c.sql, 0004_d.sql has number 2 twice and skips 3.
 */
export function orderMigrationFiles(fileNames: readonly string[]): { migrations: MigrationFile[]; problems: MigrationFileProblem[] } {
  const problems: MigrationFileProblem[] = [];
  const migrations: MigrationFile[] = [];
  for (const file of fileNames.filter((f) => f.toLowerCase().endsWith('.sql'))) {
    const match = FILE_NAME.exec(file);
    if (match) migrations.push({ file, number: Number(match[1]) });
    else problems.push({ problem: 'file-name', files: [file], message: `${file} is not named <number>_<name>.sql (e.g. 0001_create_orders.sql), so its place in the order is unknown` });
  }
  migrations.sort((a, b) => a.number - b.number || (a.file < b.file ? -1 : 1));
  for (let i = 1; i < migrations.length; i++) {
    const [before, after] = [migrations[i - 1], migrations[i]];
    if (after.number === before.number) {
      problems.push({
        problem: 'duplicate-number',
        files: [before.file, after.file],
        message: `${before.file} and ${after.file} share number ${after.number}, so their order is unknown: give each migration its own number`,
      });
    } else if (after.number > before.number + 1) {
      const missing = after.number === before.number + 2 ? `${before.number + 1} is` : `${before.number + 1} to ${after.number - 1} are`;
      problems.push({
        problem: 'number-gap',
        files: [before.file, after.file],
        message: `numbers skip from ${before.file} to ${after.file} (${missing} missing): a migration is lost or misnumbered`,
      });
    }
  }
  return { migrations, problems };
}
