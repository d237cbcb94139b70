import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from './config-error';

export const DEFAULT_CATALOGUE_FILE = 'gantry.yaml';

/** The environment variable that names the catalogue when no path is given. */
export const CATALOGUE_ENV_VAR = 'GANTRY_CONFIG';

/**
 * The absolute path of the service catalogue to use: the explicit path if one was given
 * (e.g. `--config`), else `$GANTRY_CONFIG`, else `./gantry.yaml`. A directory stands for
 * the `gantry.yaml` inside it. A missing file is an error rather than a fall back to
 * the next choice, because silently reading a different catalogue than the one named
 * would release with the wrong rules.
 */
export function findCatalogueFile(explicit?: string, cwd: string = process.cwd()): string {
  const fromEnv = process.env[CATALOGUE_ENV_VAR];
  const [given, origin] =
    explicit !== undefined && explicit !== ''
      ? [explicit, 'the path given']
      : fromEnv
        ? [fromEnv, `$${CATALOGUE_ENV_VAR}`]
        : [DEFAULT_CATALOGUE_FILE, 'the default'];
  const candidate = path.resolve(cwd, given);
  const tried = isDirectory(candidate) ? [candidate, path.join(candidate, DEFAULT_CATALOGUE_FILE)] : [candidate];
  const found = tried.find(isFile);
  if (found) return found;
  throw new ConfigError(
    candidate,
    [{ path: '', message: `no catalogue found; tried ${tried.join(' and ')} (${origin}). ${HOW_TO_NAME_IT}` }],
    given,
  );
}

const HOW_TO_NAME_IT =
  `Pass the file with --config <file>, set ${CATALOGUE_ENV_VAR}=<file>, ` +
  `or run gantry in the directory that holds ${DEFAULT_CATALOGUE_FILE}.`;

function isFile(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(file: string): boolean {
  return fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
