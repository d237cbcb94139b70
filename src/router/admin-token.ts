import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ADMIN_AUTH_SCHEME, ADMIN_TOKEN_BYTES } from '../contracts/router-protocol';

/** The token file is missing, unreadable, too short, or readable or writable by others. */
export class AdminTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminTokenError';
  }
}

/** base64url of ADMIN_TOKEN_BYTES bytes, without padding: 43 characters for 32 bytes. */
const MIN_TOKEN_CHARS = Math.ceil((ADMIN_TOKEN_BYTES * 4) / 3);

/**
 * The secret every admin request must carry, as the router's starter wrote it. Only its
 * SHA-256 digest is kept, so the token itself sits in no object a log line could print.
 */
export class AdminToken {
  private constructor(private readonly digest: Buffer) {}

  /**
   * Reads the token file, refusing one that anybody but its owner can read or write:
   * a token others can read is no secret, and one they can write lets them choose it.
   */
  static async load(file: string): Promise<AdminToken> {
    let mode: number;
    let text: string;
    try {
      mode = (await stat(file)).mode;
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new AdminTokenError(`cannot read the admin token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if ((mode & 0o077) !== 0) {
      throw new AdminTokenError(`the admin token file ${file} has mode ${(mode & 0o777).toString(8)}; only its owner may read it: chmod 600 ${file}`);
    }
    const token = text.trim();
    if (token.length < MIN_TOKEN_CHARS) {
      throw new AdminTokenError(`the admin token file ${file} holds ${token.length} characters; a token is at least ${MIN_TOKEN_CHARS} characters (${ADMIN_TOKEN_BYTES} random bytes)`);
    }
    return new AdminToken(digestOf(token));
  }

  /**
   * Whether an `Authorization` header carries this token. Both sides are hashed to the
   * same length first, so the comparison takes the same time whatever the guess,
   * including its length.
   */
  accepts(authorization: string | undefined): boolean {
    const prefix = `${ADMIN_AUTH_SCHEME} `;
    if (authorization === undefined || !authorization.startsWith(prefix)) return false;
    return timingSafeEqual(digestOf(authorization.slice(prefix.length).trim()), this.digest);
  }
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
