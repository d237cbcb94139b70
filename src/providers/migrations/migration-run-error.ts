/**
 * Why a migration run stopped. The activity maps each code to a failure type:
 * `folder-invalid`, `changed`, `failed` and `login-refused` need a person (fix the folder,
 * restore the file, fix the SQL or the credentials); `unreachable` and `busy` pass by
 * themselves, so running again later is the fix.
 */
export type MigrationRunErrorCode =
  /** The folder's files cannot be ordered, or one of them does not parse. Nothing ran. */
  | 'folder-invalid'
  /** A migration already applied was edited since (its sha256 differs). Nothing ran. */
  | 'changed'
  /** A statement failed; its migration was rolled back, migrations before it stay applied. */
  | 'failed'
  /** The database could not be reached (refused, timed out, connection lost). */
  | 'unreachable'
  /** The database answered but refused the login (password, user, database name). */
  | 'login-refused'
  /** Another run holds the migration lock of this database. Nothing ran. */
  | 'busy';

export interface MigrationRunErrorDetails {
  code: MigrationRunErrorCode;
  /** The migration file it is about, when it is about one. */
  file?: string;
  /** 1-based line of the failing statement in `file`. */
  line?: number;
  /** The start of the failing statement. */
  statement?: string;
  /** The database's own message, and its SQLSTATE code (55P03 is a lock timeout). */
  databaseMessage?: string;
  sqlState?: string;
}

export class MigrationRunError extends Error {
  readonly code: MigrationRunErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly statement?: string;
  readonly databaseMessage?: string;
  readonly sqlState?: string;

  constructor(details: MigrationRunErrorDetails, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationRunError';
    this.code = details.code;
    this.file = details.file;
    this.line = details.line;
    this.statement = details.statement;
    this.databaseMessage = details.databaseMessage;
    this.sqlState = details.sqlState;
  }

  /** The details as plain data, for a Temporal failure's `details`. */
  get details(): MigrationRunErrorDetails {
    const { code, file, line, statement, databaseMessage, sqlState } = this;
    return { code, file, line, statement, databaseMessage, sqlState };
  }
}
