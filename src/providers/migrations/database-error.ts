/**
 * What kind of failure a `pg` error is: the database could not be reached or went away
 * (running again later may work), it refused the login (a person must fix the URL's
 * credentials), or it refused a statement (SQLSTATE from the server), or something else.
 */
export type DatabaseErrorKind = 'unreachable' | 'login-refused' | 'database' | 'other';

/** Node's socket errors for a host that is down, unknown, or cut off. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** SQLSTATE codes of a server that cannot take the session: shutting down, starting, crashed. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

interface PgErrorFields {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
  errors?: unknown;
  /** Set only on errors the server sent (pg's DatabaseError): tells a SQLSTATE from a socket error code. */
  severity?: unknown;
}

function sqlStateOf(fields: PgErrorFields): string | undefined {
  return typeof fields.severity === 'string' && typeof fields.code === 'string' ? fields.code : undefined;
}

/**
 * Errors are recognised by their fields, not `instanceof Error`: Node's socket errors
 * come from another realm than code run under jest, where `instanceof` says no.
 */
function errorFields(err: unknown): (PgErrorFields & { message: string }) | undefined {
  return typeof err === 'object' && err !== null && typeof (err as PgErrorFields).message === 'string' ? (err as PgErrorFields & { message: string }) : undefined;
}

/** The errors inside an AggregateError (a host with several addresses, localhost: ::1 and 127.0.0.1). */
function innerErrors(fields: PgErrorFields): unknown[] {
  return Array.isArray(fields.errors) ? fields.errors : [];
}

export function classifyDatabaseError(err: unknown): DatabaseErrorKind {
  const fields = errorFields(err);
  if (!fields) return 'other';
  const code = typeof fields.code === 'string' ? fields.code : '';
  const inner = innerErrors(fields);
  if (inner.length > 0 && inner.every((e) => classifyDatabaseError(e) === 'unreachable')) return 'unreachable';
  if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return 'unreachable';
  // pg's own words for a connection that timed out or ended under a query.
  if (/Connection terminated|connection timeout|timeout expired/i.test(fields.message)) return 'unreachable';
  const sqlState = sqlStateOf(fields);
  if (sqlState?.startsWith('28') || sqlState === '3D000') return 'login-refused';
  if (sqlState) return 'database';
  return 'other';
}

/** The database's message with its detail and hint, and its SQLSTATE when it gave one. */
export function describeDatabaseError(err: unknown): { message: string; sqlState?: string } {
  const fields = errorFields(err);
  if (!fields) return { message: String(err) };
  const sqlState = sqlStateOf(fields);
  let message = fields.message || innerErrors(fields).map((inner) => errorFields(inner)?.message ?? String(inner)).join('; ');
  if (typeof fields.detail === 'string' && fields.detail) message += ` (${fields.detail})`;
  if (typeof fields.hint === 'string' && fields.hint) message += ` Hint: ${fields.hint}`;
  return { message, sqlState };
}
