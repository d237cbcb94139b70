import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where Gantry keeps downloaded tools: outside any repository, shared by every clone.
 * `$GANTRY_CACHE_DIR`, else `$XDG_CACHE_HOME/gantry`, else `~/.cache/gantry`.
 */
export function gantryCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GANTRY_CACHE_DIR) return path.resolve(env.GANTRY_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'gantry');
  return path.join(env.HOME || os.homedir(), '.cache', 'gantry');
}
