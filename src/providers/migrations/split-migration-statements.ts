import { hasSqlDetails, parse } from 'libpg-query';
import { lineOfByte, lineOfCharacter } from '../../migrations/sql-lines';

/** One statement of a migration file, as the runner sends it. */
export interface MigrationStatementText {
  /** 1-based line of the statement's first token in its file. */
  line: number;
  /** The statement's own text, without the `;` that ends it. */
  text: string;
  /**
   * PostgreSQL refuses to run it inside a transaction block (`CREATE INDEX CONCURRENTLY`,
   * `DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `VACUUM`).
   */
  outsideTransaction: boolean;
  /** `SET` / `RESET` of a setting: changes how what follows runs, writes nothing. */
  setting: boolean;
}

/** SQL that PostgreSQL would refuse, found before anything ran: the line and the parser's words. */
export class MigrationSyntaxError extends Error {
  constructor(
    readonly line: number | undefined,
    readonly parserMessage: string,
  ) {
    super(parserMessage);
    this.name = 'MigrationSyntaxError';
  }
}

/**
 * Cuts a migration file into its statements with PostgreSQL's own parser (libpg_query),
 * so a `;` inside a string, a comment or a `$$` function body never cuts one in two.
 * Running the statements one by one is what lets a failure name the statement that
 * failed, with its line, rather than only the file.
 */
export async function splitMigrationStatements(sql: string): Promise<MigrationStatementText[]> {
  // The parser refuses an empty string; a file of blanks or comments has no statements.
  if (sql.trim() === '') return [];
  let tree: Awaited<ReturnType<typeof parse>>;
  try {
    tree = await parse(sql);
  } catch (err) {
    if (!hasSqlDetails(err)) throw err;
    const position = err.sqlDetails?.cursorPosition;
    throw new MigrationSyntaxError(position === undefined ? undefined : lineOfCharacter(sql, position), err.message);
  }
  // stmt_location and stmt_len count bytes, not characters; a length of 0 means "to the end".
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? []).flatMap((raw) => {
    if (!raw.stmt) return [];
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const slice = bytes.subarray(start, end).toString('utf8');
    // withoutLeadingComments returns the end of `slice`, so what it cut off says where the statement starts.
    const rest = withoutLeadingComments(slice);
    const text = rest.trimEnd();
    if (text === '') return [];
    const startByte = start + Buffer.byteLength(slice.slice(0, slice.length - rest.length));
    return [{ line: lineOfByte(bytes, startByte), text, outsideTransaction: cannotRunInTransaction(raw.stmt), setting: isSetting(raw.stmt) }];
  });
}

/**
 * Before PostgreSQL 18 a statement's location is the end of the one before it, so its
 * text starts with the comments between them; the statement starts after them.
 */
function withoutLeadingComments(text: string): string {
  let rest = text.trimStart();
  for (;;) {
    if (rest.startsWith('--')) {
      const newline = rest.indexOf('\n');
      rest = newline < 0 ? '' : rest.slice(newline + 1).trimStart();
    } else if (rest.startsWith('/*')) {
      const close = rest.indexOf('*/');
      rest = close < 0 ? '' : rest.slice(close + 2).trimStart();
    } else {
      return rest;
    }
  }
}

type ParsedNode = Record<string, unknown>;

function nodeOf(stmt: unknown, kind: string): ParsedNode | undefined {
  const node = (stmt as ParsedNode)[kind];
  return typeof node === 'object' && node !== null ? (node as ParsedNode) : undefined;
}

function cannotRunInTransaction(stmt: unknown): boolean {
  if (nodeOf(stmt, 'IndexStmt')?.concurrent === true) return true;
  if (nodeOf(stmt, 'DropStmt')?.concurrent === true) return true;
  if (nodeOf(stmt, 'VacuumStmt')) return true;
  const reindex = nodeOf(stmt, 'ReindexStmt');
  const params = (reindex?.params ?? []) as { DefElem?: { defname?: string } }[];
  return params.some((param) => param.DefElem?.defname === 'concurrently');
}

function isSetting(stmt: unknown): boolean {
  return nodeOf(stmt, 'VariableSetStmt') !== undefined;
}
