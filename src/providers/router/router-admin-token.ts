import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ADMIN_TOKEN_BYTES } from '../../contracts/router-protocol';

/**
 * The secret an embedded router's admin API asks for, as the worker side keeps it: one
 * file per router, mode 0600, beside its record. The router reads the same file when it
 * starts, so the token never crosses a command line, an environment, a log line, a
 * workflow input or an activity result; a worker that restarts reads it again to drive
 * the router that kept running.
 */

/** `<router dir>/admin-token`. */
export function adminTokenFileIn(routerDir: string): string {
  return path.join(routerDir, 'admin-token');
}

/**
 * Writes a fresh random token for a router about to start, replacing the one of its
 * predecessor (which is stopped by then). Created 0600 under a temporary name and
 * renamed, so no reader ever sees a half-written or briefly readable file.
 */
export async function writeNewAdminToken(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${randomBytes(ADMIN_TOKEN_BYTES).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The token in a router's token file; the error names the file, never its content. */
export async function readAdminToken(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new Error(`cannot read the router's admin token file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
