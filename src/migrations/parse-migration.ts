import { hasSqlDetails, parse } from 'libpg-query';
import { lineOfByte, lineOfCharacter } from './sql-lines';
import type { MigrationStatement } from '../policy/migration-rules';

/**
 * Parses one migration file with PostgreSQL's own parser (libpg_query compiled to
 * WebAssembly, the PostgreSQL 18 grammar), so the rules judge what PostgreSQL will run
 * and not what a regular expression guessed. The only module that imports libpg-query:
 * loading it compiles 1.7 MB of WebAssembly, so the CLI imports this file lazily.
 */

/** SQL that PostgreSQL would refuse: where, and the parser's own words. */
export class MigrationParseError extends Error {
  constructor(
    readonly file: string,
    /** 1-based; absent when the parser gave no position. */
    readonly line: number | undefined,
    readonly parserMessage: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${parserMessage}`);
    this.name = 'MigrationParseError';
  }
}

/** The statements of `sql` (the contents of `file`) in order, each with the line it starts on. */
export async function parseMigration(file: string, sql: string): Promise<MigrationStatement[]> {
  // The parser refuses an empty string; a file of blanks has no statements, as one of comments does.
  if (sql.trim() === '') return [];
  let tree: Awaited<ReturnType<typeof parse>>;
  try {
    tree = await parse(sql);
  } catch (err) {
    if (!hasSqlDetails(err)) throw err;
    // cursorPosition counts characters (code points) from 0; 0 is also what it says when it knows none.
    const position = err.sqlDetails?.cursorPosition;
    throw new MigrationParseError(file, position === undefined ? undefined : lineOfCharacter(sql, position), err.message);
  }
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? []).flatMap((raw) =>
    // stmt_location is a byte offset, left out when 0; since PostgreSQL 18 it is the
    // statement's first token, past any comments before it.
    raw.stmt ? [{ line: lineOfByte(bytes, raw.stmt_location ?? 0), stmt: raw.stmt }] : [],
  );
}
