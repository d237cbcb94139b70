/**
 * Where a database URL points, as `host:port`, for messages and logs: never the user's
 * password, which the URL may carry. `postgres://app:secret@db.internal/orders` →
 * `db.internal:5432` (PostgreSQL's default port when the URL names none).
 */
export function databaseAddress(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(a database URL that does not parse)';
  }
  // A socket folder may be given as ?host=/run/postgresql instead of in the authority.
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  return `${host}:${parsed.port || '5432'}`;
}
